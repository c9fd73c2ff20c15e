#!/usr/bin/env python3
"""The peers side by side: ModelOpt, ONNX Runtime's quantize_static and yoloq on the same models
and calibration tensors, measured the same way. Started by bench/peers/run.sh (see bench/README.md).

Two phases, so that the whole run fits a time budget on a 2-core machine:
1. every run of every workload once, in priority order (yolo11n/128, yolo11n/512, yolo11s/128,
   yolo11m/128), each followed by its output model's metrics. A run whose time, projected from
   the same tool on yolo11n/128 (scaled by calibration images and by the float model's latency),
   would pass the budget is skipped with a note; so is one whose projected peak RSS is far past
   the RSS cap.
2. repeats of the timed runs, up to REPEATS in all (REPEATS_512 for the 512 workload), while the
   budget lasts. The table says how many repeats each median has.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("YOLOQ_DATA", os.path.join(HERE, "..", "..", "..", "shared", "data"))

# name, tool, yoloq "target" or "target:method", or the peer's method (ORT: "method" or
# "method:u8" for UINT8 activations, its x86 recommendation, which yoloq-ort-cpu is timed against).
# The two yoloq rows with a forced method are what the time targets compare (max vs max, entropy
# vs entropy); yoloq-trt and yoloq-ort-cpu use yoloq's default method.
RUNS = [
    ("modelopt-max", "modelopt", "max"),
    ("modelopt-entropy", "modelopt", "entropy"),
    ("ort-minmax", "ort", "minmax"),
    ("ort-entropy", "ort", "entropy"),
    ("ort-minmax-x86", "ort", "minmax:u8"),
    ("yoloq-trt", "yoloq", "trt"),
    ("yoloq-ort-cpu", "yoloq", "ort-cpu"),
    ("yoloq-trt-max", "yoloq", "trt:max"),
    ("yoloq-trt-entropy", "yoloq", "trt:entropy"),
]


def log(msg):
    print(f"[peers {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(cmd, **kw):
    """Run and capture; a program that cannot be started is a failed run, not a crash."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, **kw)
    except OSError as e:
        return subprocess.CompletedProcess(cmd, 127, "", f"cannot run {cmd[0]}: {e}")


class Yoloq:
    def __init__(self, path):
        self.path = path
        self.subcommands = set()
        self.version = None
        if path and os.access(path, os.X_OK):
            r = sh([path, "--help"])
            for line in r.stdout.splitlines():
                words = line.split()
                if line.startswith("  ") and words:
                    self.subcommands.add(words[0])
            self.version = sh([path, "--version"]).stdout.strip() or None

    def has(self, sub):
        return sub in self.subcommands


class Bench:
    def __init__(self, args):
        self.a = args
        self.py = sys.executable
        self.y = Yoloq(args.yoloq)
        self.work = os.path.abspath(args.work)
        os.makedirs(self.work, exist_ok=True)
        self.t0 = time.monotonic()
        self.notes = []
        self.results = {}  # workload -> {row name -> dict}
        self.workloads = []
        self.heldout, self.heldout_n = None, 0
        self.results_images_base = 1
        self.float_rows = {}

    def elapsed(self):
        return time.monotonic() - self.t0

    def left(self):
        return self.a.budget_s - self.elapsed()

    # ---------- inputs ----------
    def letterbox(self, images, out):
        if os.path.exists(out):
            return
        if self.y.has("calib-data"):
            r = sh([self.y.path, "calib-data", images, "-o", out, "--quiet"])
            how = "yoloq calib-data"
        else:
            r = sh([self.py, os.path.join(HERE, "make_calib.py"), "letterbox", images, out])
            how = "make_calib.py letterbox (this yoloq has no calib-data)"
        if r.returncode != 0:
            raise RuntimeError(f"letterbox {images}: {r.stderr.strip() or r.stdout.strip()}")
        log(f"{out}: {how}")

    def prepare(self):
        images = os.path.join(DATA, "coco128", "images")
        c128 = os.path.join(self.work, "calib128.npy")
        c512 = os.path.join(self.work, "calib512.npy")
        held = os.path.join(self.work, "heldout.npy")
        if self.a.calib_images:
            full = os.path.join(self.work, "calib-all.npy")
            self.letterbox(images, full)
            c128 = os.path.join(self.work, f"calib-first{self.a.calib_images}.npy")
            c512 = os.path.join(self.work, f"calib-first{self.a.calib_images}x4.npy")
            if not os.path.exists(c128):
                import numpy as np
                np.save(c128, np.load(full, mmap_mode="r")[:self.a.calib_images])
            self.notes.append(f"CALIB_IMAGES={self.a.calib_images}: calibration on the first "
                              f"{self.a.calib_images} images only (a smoke run, not the benchmark)")
        else:
            self.letterbox(images, c128)
        self.eval_images = os.path.join(DATA, "coco128", "images")
        self.eval_labels = os.path.join(DATA, "coco128", "labels")
        if self.a.eval_images:
            self.eval_images = os.path.join(self.work, f"eval-first{self.a.eval_images}", "images")
            self.eval_labels = os.path.join(self.work, f"eval-first{self.a.eval_images}", "labels")
            if not os.path.isdir(self.eval_images):
                os.makedirs(self.eval_images)
                os.makedirs(self.eval_labels)
                src = os.path.join(DATA, "coco128")
                for f in sorted(os.listdir(os.path.join(src, "images")))[:self.a.eval_images]:
                    os.symlink(os.path.join(src, "images", f), os.path.join(self.eval_images, f))
                    lab = os.path.splitext(f)[0] + ".txt"
                    if os.path.exists(os.path.join(src, "labels", lab)):
                        os.symlink(os.path.join(src, "labels", lab),
                                   os.path.join(self.eval_labels, lab))
            self.notes.append(f"EVAL_IMAGES={self.a.eval_images}: mAP on the first "
                              f"{self.a.eval_images} coco128 images only (a smoke run)")
        self.letterbox(os.path.join(DATA, "samples"), held)
        import numpy as np
        n128 = len(np.load(c128, mmap_mode="r"))
        self.heldout = held
        self.heldout_n = len(np.load(held, mmap_mode="r"))
        yolo11n = os.path.join(DATA, "models", "yolo11n-coco-640.onnx")
        wl = {"yolo11n-640/128": dict(model=yolo11n, calib=c128, images=n128, eval=True,
                                      repeats=self.a.repeats)}
        for arch in ("yolo11s", "yolo11m"):
            name = f"{arch}-640/128 (synthetic)"
            path = os.path.join(self.work, f"{arch}-synth-640.onnx")
            d = dict(model=path, calib=c128, images=n128, eval=False, repeats=self.a.repeats,
                     note="synthetic weights from `yoloq synth`: mAP on coco128 is meaningless, "
                          "not measured")
            if not self.y.has("synth"):
                d["skip"] = "this yoloq binary has no `synth` subcommand"
            elif not os.path.exists(path):
                r = sh([self.y.path, "synth", "--arch", arch, "-o", path])
                if r.returncode != 0:
                    d["skip"] = f"yoloq synth --arch {arch} failed: " + \
                        (r.stderr.strip() or r.stdout.strip())[-300:]
            wl[name] = d
        if "512" in self.a.workloads:
            if not os.path.exists(c512):
                r = sh([self.py, os.path.join(HERE, "make_calib.py"), "repeat", c128, c512,
                        "--times", "4"])
                if r.returncode != 0:
                    raise RuntimeError("make_calib.py repeat: " + r.stderr.strip())
            wl["yolo11n-640/512"] = dict(model=yolo11n, calib=c512, images=4 * n128, eval=True,
                                         repeats=self.a.repeats_512,
                                         note="coco128 once, then three horizontally flipped "
                                              "copies")
        order = [w for w in self.a.workloads.split(",") if w]
        keys = {"n128": "yolo11n-640/128", "s128": "yolo11s-640/128 (synthetic)",
                "m128": "yolo11m-640/128 (synthetic)", "n512": "yolo11n-640/512"}
        for k in order:
            if k not in keys:
                raise SystemExit(f"bench.py: unknown workload {k} (known: {', '.join(keys)})")
            self.workloads.append((keys[k], wl[keys[k]]))

    # ---------- one run ----------
    def command(self, tool, method, model, calib, out):
        if tool == "modelopt":
            return [self.py, "-m", "modelopt.onnx.quantization", "--onnx_path", model,
                    "--quantize_mode", "int8", "--calibration_method", method,
                    "--calibration_data_path", calib, "--calibration_eps", "cpu",
                    "--output_path", out]
        if tool == "ort":
            ort_method, _, activations = method.partition(":")
            return [self.py, os.path.join(HERE, "ort_quantize.py"), "--onnx_path", model,
                    "--calibration_data_path", calib, "--output_path", out, "--method", ort_method,
                    "--activations", activations or "s8"]
        target, _, forced = method.partition(":")
        return [self.y.path, "quantize", "--onnx_path", model, "--output_path", out,
                "--calibration_data_path", calib, "--target", target, "--quiet"] + (
                    ["--calibration_method", forced] if forced else [])

    def measure(self, cmd, logfile):
        r = sh([self.py, os.path.join(HERE, "measure.py"), "--rss-cap-mb",
                str(self.a.rss_cap_mb), "--log", logfile, "--"] + cmd)
        if r.returncode != 0:
            raise RuntimeError("measure.py: " + r.stderr.strip()[-300:])
        return json.loads(r.stdout.strip().splitlines()[-1])

    def tail(self, logfile, n=3):
        try:
            with open(logfile, errors="replace") as f:
                lines = [l.strip() for l in f if l.strip()]
            return " | ".join(lines[-n:])[-400:]
        except OSError:
            return ""

    def scale(self, wname, wl):
        """(calibration images ratio, float latency ratio) of this workload to yolo11n/128: the
        projection of a run here from the same run there."""
        base = self.results.get("yolo11n-640/128", {})
        if wname == "yolo11n-640/128" or "fp32" not in base:
            return None
        fl = self.results[wname].get("fp32", {}).get("latency_ms")
        bl = base["fp32"].get("latency_ms")
        if not fl or not bl:
            return None
        return wl["images"] / self.results_images_base, fl / bl

    def run_once(self, wname, wl, row, rep):
        name, tool, method = row
        d = os.path.join(self.work, "runs", wname.split(" ")[0].replace("/", "-"), name,
                         f"rep{rep}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        out = os.path.join(d, "model.int8.onnx")
        logfile = os.path.join(d, "log.txt")
        # Every run reads its own copy of the float model: ModelOpt 0.47 writes its shape-inferred
        # model over its input (it rewrote shared/data's YOLO11n on 2026-12-03), and no tool may
        # change the data, or the runs after it.
        model = os.path.join(d, "float.onnx")
        shutil.copyfile(wl["model"], model)
        m = self.measure(self.command(tool, method, model, wl["calib"], out), logfile)
        m["log"] = logfile
        if m["killed"]:
            m["error"] = f"killed: {m['killed']}"
        elif m["exit_code"] != 0:
            m["error"] = f"exit {m['exit_code']}: {self.tail(logfile)}"
        elif not os.path.exists(out):
            m["error"] = f"no output model written: {self.tail(logfile)}"
        m["output"] = out
        return m

    # ---------- metrics of one model ----------
    def model_metrics(self, wl, path, res):
        res["size_mb"] = round(os.path.getsize(path) / 1e6, 2)
        if self.y.has("inspect"):
            r = sh([self.y.path, "inspect", "--json", path])
            if r.returncode == 0:
                q = json.loads(r.stdout).get("qdq", {})
                res["q"] = q.get("quantize_linear")
                res["dq"] = q.get("dequantize_linear")
            else:
                res.setdefault("metric_errors", []).append("inspect: " + r.stderr.strip()[-200:])
        r = sh([self.py, os.path.join(HERE, "ort_metrics.py"), "--float", wl["model"],
                "--model", path, "--heldout", self.heldout, "--runs", str(self.a.latency_runs),
                "--threads", "2"])
        if r.returncode == 0:
            res.update(json.loads(r.stdout.strip().splitlines()[-1]))
        else:
            res.setdefault("metric_errors", []).append(
                "ort_metrics: " + (r.stderr.strip() or r.stdout.strip())[-300:])
        if wl["eval"] and self.y.has("eval") and not self.a.no_eval:
            ej = os.path.join(self.work, "evals", path.replace("/", "_") + ".json")
            os.makedirs(os.path.dirname(ej), exist_ok=True)
            t = time.monotonic()
            r = sh([self.y.path, "eval", path, "--images", self.eval_images,
                    "--labels", self.eval_labels, "--metric", "coco",
                    "--json", ej, "--threads", "2", "--quiet"])
            res["eval_s"] = round(time.monotonic() - t, 1)
            if r.returncode == 0:
                with open(ej) as f:
                    e = json.load(f)
                res["map50_95"] = e.get("map50_95")
                res["map50"] = e.get("map50")
            else:
                res.setdefault("metric_errors", []).append(
                    "yoloq eval: " + (r.stderr.strip() or r.stdout.strip())[-300:])
        elif wl["eval"] and not self.y.has("eval"):
            res["map_note"] = "this yoloq binary has no `eval`"

    # ---------- phases ----------
    def phase1(self):
        for wname, wl in self.workloads:
            res = self.results.setdefault(wname, {})
            if wl.get("skip"):
                log(f"{wname}: {wl['skip']}")
                continue
            fp = self.float_rows.get(wl["model"])
            if fp is None:  # the same float model in two workloads is measured once
                log(f"{wname}: float model metrics")
                fp = {"tool": "float", "method": "-"}
                self.model_metrics(wl, wl["model"], fp)
                self.float_rows[wl["model"]] = fp
            res["fp32"] = fp
            if wname == "yolo11n-640/128":
                self.results_images_base = wl["images"]
            for name, tool, method in RUNS:  # the table's order
                res[name] = {"tool": tool, "method": method, "runs": []}
            # yoloq first: when the budget runs short on a workload, the subject is measured
            for row in sorted(RUNS, key=lambda row: row[1] != "yoloq"):
                name, tool, method = row
                r = res[name]
                if tool == "yoloq" and not self.y.has("quantize"):
                    r["error"] = "this yoloq binary has no `quantize` subcommand"
                    continue
                s = self.scale(wname, wl)
                base = self.results.get("yolo11n-640/128", {}).get(name, {})
                if s is not None and base.get("runs"):
                    img_ratio, lat_ratio = s
                    est = base["runs"][0]["wall_s"] * img_ratio * lat_ratio
                    if wl["eval"]:
                        est += base.get("eval_s", 0) * lat_ratio
                    est_rss = base["runs"][0]["peak_rss_mb"] * img_ratio
                    if base.get("error", "").startswith("killed") and wl["images"] >= self.results_images_base:
                        r["error"] = ("skipped: it passed the RSS cap on yolo11n/128 already "
                                      f"({base['error']})")
                        continue
                    if est_rss > 1.5 * self.a.rss_cap_mb:
                        r["error"] = (f"skipped: projected peak RSS {est_rss / 1024:.0f} GB (scaled "
                                      f"from yolo11n/128) is far past the {self.a.rss_cap_mb / 1024:.0f}"
                                      " GB cap")
                        continue
                    if not self.a.full and est > self.left():
                        r["error"] = (f"skipped: projected {est:.0f} s (scaled from yolo11n/128) "
                                      f"does not fit the {self.left():.0f} s left of the "
                                      f"{self.a.budget_s:.0f} s budget")
                        continue
                log(f"{wname}: {name} (run 1)")
                try:
                    self.first_run(wname, wl, row, r)
                except Exception as e:  # one broken row must not end the benchmark
                    r["error"] = f"harness error: {type(e).__name__}: {e}"
                    log(f"{wname}: {name}: {r['error']}")

    def first_run(self, wname, wl, row, r):
        name = row[0]
        m = self.run_once(wname, wl, row, 1)
        r["runs"].append({k: m[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")})
        if "error" in m:
            r["error"] = m["error"]
            log(f"{wname}: {name}: {m['error']}")
            return
        log(f"{wname}: {name}: {m['wall_s']:.1f} s, {m['peak_rss_mb']:.0f} MB; metrics")
        self.model_metrics(wl, m["output"], r)

    def phase2(self):
        for wname, wl in self.workloads:
            for name, tool, method in RUNS:
                r = self.results.get(wname, {}).get(name)
                if not r or r.get("error") or not r["runs"]:
                    continue
                while len(r["runs"]) < wl["repeats"]:
                    last = r["runs"][-1]["wall_s"]
                    if not self.a.full and last > self.left():
                        r["repeat_note"] = "fewer repeats: over the time budget"
                        break
                    log(f"{wname}: {name} (run {len(r['runs']) + 1})")
                    m = self.run_once(wname, wl, (name, tool, method), len(r["runs"]) + 1)
                    if "error" in m:
                        r["repeat_note"] = f"repeat {len(r['runs']) + 1} failed: {m['error']}"
                        break
                    r["runs"].append({k: m[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")})
                    shutil.rmtree(os.path.dirname(m["output"]), ignore_errors=True)
        for res in self.results.values():
            for r in res.values():
                if r.get("runs"):
                    r["wall_s"] = round(statistics.median(x["wall_s"] for x in r["runs"]), 2)
                    r["cpu_s"] = round(statistics.median(x["cpu_s"] for x in r["runs"]), 2)
                    r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in r["runs"])
                    r["repeats"] = len(r["runs"])

    # ---------- report ----------
    def machine(self):
        cpu = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        versions = {}
        for pkg in ("nvidia-modelopt", "onnxruntime", "onnx", "numpy", "torch"):
            try:
                from importlib.metadata import version
                versions[pkg] = version(pkg)
            except Exception:
                versions[pkg] = None
        return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1),
                "os": platform.platform(), "python": platform.python_version(),
                "load_average_end": os.getloadavg(), "versions": versions,
                "yoloq": {"path": self.y.path, "version": self.y.version,
                          "subcommands": sorted(self.y.subcommands)}}

    def yoloq_default_method(self):
        import re
        r = sh([self.y.path, "quantize", "--help"]) if self.y.has("quantize") else None
        m = re.search(r"--calibration_method TEXT(?::\{[^}]*\})?=(\w+)", r.stdout if r else "")
        return m.group(1) if m else None

    def targets(self, rows):
        """Issue 6's targets, checked on one workload's rows (a line each, or nothing)."""
        ok = lambda r: r and not r.get("error") and r.get("wall_s") is not None
        trt, cpu = rows.get("yoloq-trt"), rows.get("yoloq-ort-cpu")
        if not (ok(trt) or ok(cpu)):
            return []
        meth = self.yoloq_default_method()
        families = {"yoloq-trt-max": ("modelopt-max", "ort-minmax"),
                    "yoloq-trt-entropy": ("modelopt-entropy", "ort-entropy")}
        peers = [rows.get(n) for n, tool, _ in RUNS if tool != "yoloq" and ok(rows.get(n))]
        peers = [r for r in peers if r]
        out = [f"Targets of issue 6 (yoloq's default method: {meth or '?'}; wall time compared "
               "within a method family):", ""]

        def line(what, value, goal, met):
            out.append(f"- {what}: {value} (target {goal}): {'met' if met else 'MISSED'}")

        for yn, fam in families.items():
            y = rows.get(yn)
            if not ok(y):
                continue
            for peer, goal in zip(fam, (1 / 3, 1 / 2)):
                p = rows.get(peer)
                if ok(p):
                    x = y["wall_s"] / p["wall_s"]
                    line(f"{yn} wall time / {peer}", f"{x:.2f}", f"<= {goal:.2f}", x <= goal)
                elif p:
                    out.append(f"- {yn} wall time / {peer}: no ratio, the peer failed "
                               f"({(p.get('error') or '')[:80]})")
        # Issue 15: yoloq's default quantize, verification included, against the peers' max.
        for peer, goal in (("modelopt-max", 0.15), ("ort-minmax", 0.30)):
            p = rows.get(peer)
            if ok(trt) and ok(p):
                x = trt["wall_s"] / p["wall_s"]
                line(f"yoloq-trt wall time (with verification) / {peer}", f"{x:.2f}", f"<= {goal:.2f}", x <= goal)
        prss = [r["peak_rss_mb"] for r in peers if r.get("peak_rss_mb")]
        yrss = [rows[n]["peak_rss_mb"] for n, tool, _ in RUNS
                if tool == "yoloq" and ok(rows.get(n)) and rows[n].get("peak_rss_mb")]
        if prss and yrss:
            x = max(yrss) / min(prss)
            line("yoloq peak RSS / smallest peer's", f"{x:.2f}", "<= 0.50", x <= 0.5)
        pmap = [r["map50_95"] for r in peers if r.get("map50_95") is not None]
        fmap = rows.get("fp32", {}).get("map50_95")
        if ok(trt) and trt.get("map50_95") is not None:
            if pmap:
                line("yoloq-trt mAP50-95 vs best peer", f"{trt['map50_95']:.3f} vs {max(pmap):.3f}",
                     ">=", trt["map50_95"] >= max(pmap))
            if fmap is not None:
                line("yoloq-trt mAP50-95 vs float", f"{trt['map50_95']:.3f} vs {fmap:.3f}",
                     "within 0.010", trt["map50_95"] >= fmap - 0.010)
        plat = [r["latency_ms"] for r in peers if r.get("latency_ms")]
        if ok(cpu) and cpu.get("latency_ms") and plat:
            line("yoloq-ort-cpu latency vs fastest peer model", f"{cpu['latency_ms']:.1f} vs "
                 f"{min(plat):.1f} ms", "lower", cpu["latency_ms"] < min(plat))
        return out + [""]

    def write(self):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        mach = self.machine()
        doc = {"date": now, "machine": mach, "load_average_start": self.load_start,
               "total_s": round(self.elapsed(), 1),
               "settings": {"repeats": self.a.repeats, "repeats_512": self.a.repeats_512,
                            "budget_s": self.a.budget_s, "rss_cap_mb": self.a.rss_cap_mb,
                            "latency_runs": self.a.latency_runs, "latency_threads": 2,
                            "heldout_images": self.heldout_n, "workloads": self.a.workloads},
               "workloads": {}}
        for wname, wl in self.workloads:
            doc["workloads"][wname] = {"model": wl["model"], "calibration_images": wl["images"],
                                       "note": wl.get("note"), "skip": wl.get("skip"),
                                       "rows": self.results.get(wname, {})}
        os.makedirs(os.path.dirname(self.a.json), exist_ok=True)
        with open(self.a.json, "w") as f:
            json.dump(doc, f, indent=2, default=str)
            f.write("\n")

        def fmt(v, p=1):
            if v is None:
                return "–"
            if isinstance(v, float):
                return f"{v:.{p}f}"
            return str(v)

        v = mach["versions"]
        L = [f"# yoloq and its peers side by side", "",
             f"Date: {now}. Total run time {self.elapsed() / 60:.1f} min.", "",
             f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']} GiB; "
             f"{mach['os']}; Python {mach['python']}. Load average at start "
             f"{', '.join(f'{x:.1f}' for x in self.load_start)}, at end "
             f"{', '.join(f'{x:.1f}' for x in mach['load_average_end'])} "
             "(anything well above 0 means other work shared the cores and the times are noisy;"
             " CPU s moves less than wall s then).", "",
             f"Peers: nvidia-modelopt {v['nvidia-modelopt']} (torch {v['torch']}), onnxruntime "
             f"{v['onnxruntime']} (CPU), onnx {v['onnx']}. yoloq: `{self.y.path}` "
             f"({self.y.version or 'version unknown'}).", "",
             "How: `bench/peers/run.sh`; see bench/README.md. Wall s: median over the repeats "
             "(n); peak RSS: largest over the repeats, whole process tree. Q/DQ: QuantizeLinear + "
             "DequantizeLinear nodes (`yoloq inspect`). SNR: output of the model against the "
             f"float model's on {self.heldout_n} held-out images (shared/data/samples, not in any "
             "calibration set), whole output / class-score rows only. mAP50-95: COCO-style, "
             "`yoloq eval --metric coco` on the 126 labelled coco128 images (also the calibration "
             f"images). Latency: ONNX Runtime CPU, 2 intra-op threads, median of "
             f"{self.a.latency_runs} runs after 5 warm-up runs, batch 1.", ""]
        if self.notes:
            L += ["Notes:", ""] + [f"- {n}" for n in self.notes] + [""]
        for wname, wl in self.workloads:
            L += [f"## {wname}", "",
                  f"Model `{os.path.basename(wl['model'])}`, {wl['images']} calibration images."
                  + (f" {wl['note']}." if wl.get("note") else ""), ""]
            if wl.get("skip"):
                L += [f"Skipped: {wl['skip']}.", ""]
                continue
            L += ["| run | method | wall s (n) | CPU s | peak RSS MB | Q / DQ | size MB | "
                  "SNR dB all / cls | distinct cls scores | mAP50-95 | latency ms | note |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
            for name, r in self.results.get(wname, {}).items():
                note = "; ".join(x for x in [r.get("error"), r.get("repeat_note"),
                                             r.get("map_note")] + r.get("metric_errors", []) if x)
                note = note.replace("|", "/").replace("\n", " ")
                wall = f"{fmt(r.get('wall_s'))} ({r.get('repeats')})" if r.get("repeats") else "–"
                qdq = f"{r['q']} / {r['dq']}" if r.get("q") is not None else "–"
                snr = (f"{fmt(r.get('snr_db'))} / {fmt(r.get('snr_cls_db'))}"
                       if "snr_db" in r else "–")
                L.append(f"| {name} | {r.get('method', '-')} | {wall} | {fmt(r.get('cpu_s'))} | "
                         f"{fmt(r.get('peak_rss_mb'), 0)} | {qdq} | {fmt(r.get('size_mb'), 2)} | "
                         f"{snr} | {fmt(r.get('distinct_cls_scores'))} | "
                         f"{fmt(r.get('map50_95'), 3)} | {fmt(r.get('latency_ms'))} | {note} |")
            L.append("")
            L += self.targets(self.results.get(wname, {}))
        with open(self.a.md, "w") as f:
            f.write("\n".join(L))
        log(f"wrote {self.a.md} and {self.a.json}")


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--yoloq", default=env("YOLOQ", ""))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--md", default=os.path.join(HERE, "..", "results", "peers.md"))
    ap.add_argument("--json", default=os.path.join(HERE, "..", "results", "peers.json"))
    ap.add_argument("--workloads", default=env("WORKLOADS", "n128,n512,s128,m128"),
                    help="comma-separated, in priority order: n128,n512,s128,m128")
    ap.add_argument("--repeats", type=int, default=int(env("REPEATS", "3")))
    ap.add_argument("--repeats-512", type=int, default=int(env("REPEATS_512", "1")))
    ap.add_argument("--budget-s", type=float, default=float(env("BUDGET_S", "1800")))
    ap.add_argument("--full", action="store_true", default=env("FULL", "0") == "1",
                    help="ignore the time budget")
    ap.add_argument("--rss-cap-mb", type=float, default=float(env("RSS_CAP_MB", "16000")))
    ap.add_argument("--latency-runs", type=int, default=int(env("LATENCY_RUNS", "30")))
    ap.add_argument("--no-eval", action="store_true", default=env("NO_EVAL", "0") == "1")
    ap.add_argument("--calib-images", type=int, default=int(env("CALIB_IMAGES", "0")),
                    help="smoke runs: calibrate on the first N images only (0: all)")
    ap.add_argument("--eval-images", type=int, default=int(env("EVAL_IMAGES", "0")),
                    help="smoke runs: mAP on the first N coco128 images only (0: all)")
    ap.add_argument("--note", action="append", default=[e for e in [env("NOTE")] if e],
                    help="a line for the notes at the top of the results (NOTE)")
    args = ap.parse_args()
    import signal

    def stop(signum, frame):
        raise SystemExit(f"bench.py: stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    b = Bench(args)
    b.notes += args.note
    b.load_start = os.getloadavg()
    b.results_images_base = 1
    try:
        b.prepare()
        b.phase1()
        b.phase2()
    except (SystemExit, KeyboardInterrupt) as e:
        b.notes.append(f"INCOMPLETE: the run was stopped ({e or 'interrupted'}); rows not shown "
                       "were not measured")
        raise
    finally:
        b.write()  # what was measured so far, also after an interruption
    return 0


if __name__ == "__main__":
    sys.exit(main())
