"""ort-cpu speed: yoloq's ort-cpu model against the float model and against ONNX Runtime's own
quantize_static with its x86 recommendation, each change of the placement a row.

    bench/exports/.venv/bin/python bench/ort_cpu_speed.py --yoloq build/yoloq \
        [--model ../shared/data/models/yolo11n-coco-640.onnx] [--runs 50] [--out bench/results/ort-cpu-speed.md]

Models (all from the same float model, calibrated on the 126 coco128 images):
- yoloq ort-cpu as it is now (default settings);
- yoloq ort-cpu without the float rewrites (its own plan with `rewrites` removed, via --plan), the
  placement before the DFL rewrite;
- ORT quantize_static, x86 recommendation: QDQ, UINT8 activations (asymmetric), INT8 per-channel
  weights, MinMax, every op type ORT quantizes (onnxruntime from this venv).
Speed: `yoloq verify FLOAT MODEL --speed_runs N`, which times the float model and the quantized
one in turns in yoloq's own ONNX Runtime (2 intra-op threads on this 2-core machine, batch 1),
and the same in turns in this venv's onnxruntime (another release); each model's ratio comes
from its own alternating run, so a change of the machine's load between models does not enter a
ratio. Accuracy: `yoloq eval --metric coco` against the coco128 labels.
The CPU's flags head the table: ONNX Runtime's integer kernels differ with VNNI and AMX.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


class Images(CalibrationDataReader):
    def __init__(self, npy):
        self.data, self.i = np.load(npy, mmap_mode="r"), 0

    def get_next(self):
        if self.i >= len(self.data):
            return None
        self.i += 1
        return {"images": np.ascontiguousarray(self.data[self.i - 1:self.i])}


def ort_version(y):
    """The ONNX Runtime yoloq runs on, as `yoloq --version` reports it ("?" if it does not)."""
    text = run([y, "--version"])
    return text.split("ONNX Runtime")[-1].split()[0].strip(",;()") if "ONNX Runtime" in text else "?"


def cpu_flags():
    flags = open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split()
    names = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_vnni": "AVX-512 VNNI", "avx_vnni": "AVX-VNNI",
             "amx_int8": "AMX-INT8"}
    model = next(l for l in open("/proc/cpuinfo") if l.startswith("model name")).split(":")[1].strip()
    return model, ", ".join(v for k, v in names.items() if k in flags) or "none of AVX2, AVX-512, VNNI, AMX"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--yoloq", default="build/yoloq")
    parser.add_argument("--model", default="../shared/data/models/yolo11n-coco-640.onnx")
    parser.add_argument("--images", default="../shared/data/coco128/images")
    parser.add_argument("--labels", default="../shared/data/coco128/labels")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", default="bench/results/ort-cpu-speed.md")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yoloq-ort-speed-")
    y = args.yoloq

    models = {}
    models["yoloq ort-cpu (default)"] = os.path.join(work, "yoloq.onnx")
    run([y, "quantize", "--onnx_path", args.model, "--calibration_data_path", args.images, "--target", "ort-cpu",
         "--output_path", models["yoloq ort-cpu (default)"], "--no_verify", "--quiet"])
    plan = json.loads(run([y, "plan", args.model, "--target", "ort-cpu"]))
    if plan.pop("rewrites", None) is not None:
        with open(os.path.join(work, "no_rewrites.json"), "w") as f:
            json.dump(plan, f)
        models["yoloq ort-cpu without the DFL rewrite"] = os.path.join(work, "yoloq-no-rewrite.onnx")
        run([y, "quantize", "--onnx_path", args.model, "--calibration_data_path", args.images, "--plan",
             os.path.join(work, "no_rewrites.json"), "--output_path", models["yoloq ort-cpu without the DFL rewrite"],
             "--no_verify", "--quiet"])
    npy = os.path.join(work, "calib.npy")
    run([y, "calib-data", args.images, "--output", npy])
    ort_model = os.path.join(work, "ort-x86.onnx")
    # quantize_static writes a shape-inferred copy beside its input: work on a copy (shared/data is read-only).
    copy = os.path.join(work, "float.onnx")
    shutil.copyfile(args.model, copy)
    quantize_static(copy, ort_model, Images(npy), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                    calibrate_method=CalibrationMethod.MinMax)
    models["ORT quantize_static, x86 (QDQ, U8 activations, S8 per-channel weights)"] = ort_model

    rows = []
    float_map = json.load(open(eval_json(y, args.model, args, work, "float")))["map50_95"]
    for name, path in models.items():
        report = os.path.join(work, os.path.basename(path) + ".verify.json")
        run([y, "verify", args.model, path, "--data", args.images, "--speed_runs", str(args.runs), "--threads", "2",
             "--quiet", "--json", report])
        speed = json.load(open(report))["speed"]
        m = json.load(open(eval_json(y, path, args, work, os.path.basename(path))))["map50_95"]
        pf, pq = python_ort_ms(args.model, path, args.runs)
        rows.append((name, speed["float_median_ms"], speed["quant_median_ms"], speed["speedup"], pf, pq, m))
        print(rows[-1], flush=True)

    cpu, flags = cpu_flags()
    with open(args.out, "w") as f:
        f.write("# ort-cpu speed (generated by bench/ort_cpu_speed.py)\n\n")
        f.write(f"CPU: {cpu}, {os.cpu_count()} cores; flags: {flags}. Load average at the end: "
                f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}.\n\n")
        f.write(f"Model `{os.path.basename(args.model)}`, batch 1, ONNX Runtime CPU with 2 intra-op threads (yoloq's "
                f"own runtime, `yoloq verify --speed_runs {args.runs}`: float and quantized timed in turns, medians). "
                f"mAP50-95: `yoloq eval --metric coco` on the 126 coco128 images; the float model scores "
                f"{float_map:.4f}.\n\n")
        f.write(f"| model | yoloq's ORT {ort_version(y)}: float ms | quantized ms | speed-up | "
                f"Python ORT {ort.__version__}: float ms | quantized ms | speed-up | mAP50-95 |\n"
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
        for name, fms, qms, ratio, pf, pq, m in rows:
            f.write(f"| {name} | {fms:.1f} | {qms:.1f} | {ratio:.2f}x | {pf:.1f} | {pq:.1f} | {pf / pq:.2f}x | {m:.4f} |\n")
    print("wrote", args.out)


def python_ort_ms(float_model, model, runs):
    """Medians of the two models timed in turns in this venv's onnxruntime (another build than
    yoloq's), 2 intra-op threads, one letterboxed-size random input."""
    import time
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    sessions = [ort.InferenceSession(m, options, providers=["CPUExecutionProvider"]) for m in (float_model, model)]
    x = {"images": np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)}
    times = ([], [])
    for i in range(runs + 5):
        for k, session in enumerate(sessions):
            start = time.perf_counter()
            session.run(None, x)
            if i >= 5:
                times[k].append(1000 * (time.perf_counter() - start))
    return float(np.median(times[0])), float(np.median(times[1]))


def eval_json(y, model, args, work, tag):
    out = os.path.join(work, tag + ".eval.json")
    run([y, "eval", model, "--images", args.images, "--labels", args.labels, "--metric", "coco", "--quiet",
         "--json", out])
    return out


if __name__ == "__main__":
    main()
