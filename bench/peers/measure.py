#!/usr/bin/env python3
"""Run one command and measure its wall time and the peak RSS of its whole process tree.

    measure.py [--rss-cap-mb N] [--log FILE] [--json FILE] -- CMD ARGS...

Peak RSS: every 20 ms the tree (the child and all its descendants, found through /proc by psutil)
is walked and the RSS of its live processes summed; the peak is the largest such sum. A short
spike between two samples can be missed, so the result is also never below the kernel's own
high-water mark (VmHWM in /proc/PID/status) of any single process of the tree, read at each
sample, nor below ru_maxrss of the reaped children (getrusage RUSAGE_CHILDREN). Shared pages of
several processes are counted once per process (they are few here: the peers are single
processes, yoloq is one process).

With --rss-cap-mb, a tree whose RSS passes the cap is killed (the machine is shared; a peer whose
calibration memory grows with the data must not take it down) and the result says so.
Prints one JSON object: wall_s, peak_rss_mb, cpu_s (user + system time of the reaped tree: on a
shared machine it moves less than the wall time), exit_code, killed (reason or null).
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time

import psutil

SAMPLE_S = 0.02


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(proc):
    try:
        return [proc] + proc.children(recursive=True)
    except psutil.Error:
        return [proc]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rss-cap-mb", type=float, default=0)
    ap.add_argument("--log", help="file for the command's stdout and stderr (default: inherit)")
    ap.add_argument("--json", help="also write the result here")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command")

    out = open(args.log, "w") if args.log else None
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT if out else None,
                             start_new_session=True)
    root = psutil.Process(child.pid)
    peak_kb = 0
    killed = None
    while child.poll() is None:
        total = 0
        for p in tree(root):
            try:
                total += p.memory_info().rss // 1024
                peak_kb = max(peak_kb, vm_hwm_kb(p.pid))
            except psutil.Error:
                pass
        peak_kb = max(peak_kb, total)
        if args.rss_cap_mb and total / 1024 > args.rss_cap_mb and killed is None:
            killed = f"RSS {total / 1024:.0f} MB passed the cap of {args.rss_cap_mb:.0f} MB"
            os.killpg(child.pid, signal.SIGKILL)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = max(peak_kb, ru.ru_maxrss)
    if out:
        out.close()
    result = {"wall_s": round(wall, 3), "peak_rss_mb": round(peak_kb / 1024, 1),
              "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
              "exit_code": child.returncode, "killed": killed}
    text = json.dumps(result)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
