"""Peak memory of yoloq.quantize with an in-memory calibration array, against the array's size and
against the CLI quantizing the same data from a .npy file.

Issue 16's bound: calibrating from an N-image array raises the Python process's peak RSS by less
than 1.2 x the array's size plus what the CLI needs (its own peak RSS on the same data). A copy of
the array anywhere (numpy conversion, a C++ buffer) would add a whole array's size and break it.

    python bench/python/zero_copy_rss.py --cli build/yoloq --model M --images DIR [--count 512]

Runs in a venv with the yoloq wheel installed (scripts/python_test.sh leaves one in
build/python-venv).
"""
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np


def peak_rss_bytes() -> int:
    """This process's RSS high-water mark (VmHWM), since it began or since reset_peak_rss()."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> None:
    """Sets the high-water mark to the current RSS (Linux: 5 > /proc/PID/clear_refs), so that the
    peak measured next is the quantize call's, not the set-up's."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child_peak_rss_bytes(command: list) -> int:
    """Peak RSS of `command`, run from a small Python process: a child forked from this one would
    report this process's RSS (the array) as its own high-water mark."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
    return int(subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True,
                              text=True).stdout)


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--count", type=int, default=512)
    ap.add_argument("--out", default="", help="append the Markdown row here")
    args = ap.parse_args()

    import yoloq

    work = tempfile.mkdtemp(prefix="yoloq-rss-")
    base_npy = os.path.join(work, "images.npy")
    subprocess.run([args.cli, "calib-data", args.images, "-o", base_npy, "--model", args.model, "--quiet"],
                   check=True, capture_output=True)
    images = np.load(base_npy, mmap_mode="r")
    # N samples: the letterboxed images repeated, each copy nudged so that no two are identical.
    array = np.empty((args.count, *images.shape[1:]), np.float32)
    for i in range(args.count):
        np.multiply(images[i % len(images)], 1.0 - 1e-4 * (i // len(images)), out=array[i])
    del images
    npy = os.path.join(work, "calib.npy")
    np.save(npy, array)
    os.remove(base_npy)

    # The CLI on the same data, from the file.
    start = time.perf_counter()
    cli_peak = child_peak_rss_bytes([args.cli, "quantize", "--onnx_path", args.model, "--calibration_data", npy,
                                     "--output_path", os.path.join(work, "cli.onnx"), "--quiet"])
    cli_seconds = time.perf_counter() - start
    os.remove(npy)

    before = current_rss_bytes()  # the array is resident now
    reset_peak_rss()
    start = time.perf_counter()
    yoloq.quantize(args.model, calibration_data=array, output_path=os.path.join(work, "py.onnx"), verbose=False)
    py_seconds = time.perf_counter() - start
    peak = peak_rss_bytes()
    rise = peak - (before - array.nbytes)  # against the process without the array
    bound = 1.2 * array.nbytes + cli_peak
    same = open(os.path.join(work, "cli.onnx"), "rb").read() == open(os.path.join(work, "py.onnx"), "rb").read()

    gb = 1e9
    flags = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
             if f in open("/proc/cpuinfo").read().split()]
    print(f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, flags {' '.join(flags)}")
    print(f"array: {args.count} x {'x'.join(map(str, array.shape[1:]))} float32 = {array.nbytes / gb:.2f} GB")
    print(f"CLI from .npy: peak RSS {cli_peak / gb:.2f} GB, {cli_seconds:.1f} s")
    print(f"yoloq.quantize(array): peak RSS {peak / gb:.2f} GB, rise over the process without the array "
          f"{rise / gb:.2f} GB, bound 1.2 x array + CLI = {bound / gb:.2f} GB, {py_seconds:.1f} s")
    print(f"rise - array = {(rise - array.nbytes) / gb:.2f} GB (the CLI needs {cli_peak / gb:.2f} GB); "
          f"same model bytes as the CLI: {same}")
    ok = rise < bound and same
    print("PASS" if ok else "FAIL")
    if args.out:
        with open(args.out, "a") as f:
            f.write(f"| {args.count} | {array.nbytes / gb:.2f} | {cli_peak / gb:.2f} | {peak / gb:.2f} | "
                    f"{rise / gb:.2f} | {bound / gb:.2f} | {cli_seconds:.1f} | {py_seconds:.1f} | {same} |\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
