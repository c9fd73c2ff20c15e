"""ort-cpu speed: yoloq's ort-cpu model against the float model and against ONNX Runtime's own
quantize_static with its x86 recommendation, each change of the placement a row.

    bench/exports/.venv/bin/python bench/ort_cpu_speed.py --yoloq build/yoloq \
        [--model ../shared/data/models/yolo11n-coco-640.onnx] [--runs 50] [--out bench/results/ort-cpu-speed.md]

Models (all from the same float model, calibrated on the 126 coco128 images):
- yoloq ort-cpu as it is now (default settings);
- the earlier placements, each today's plan with one more change taken out (via --plan): the
  SiLU Muls before the head's output convolutions integer (`--yolo_head float-dfl`, the default
  before `float`), then SiLU inputs without their range floor (before ort-cpu.silu-input-floor), then Concat inputs with
  their own scales (before ort-cpu.concat-same-scale), then the image's convolution
  quantized (before ort-cpu.float-image-conv), then the head's branches joined
  as exported (before the branch-join rewrite), then the DFL as exported (before the DFL rewrite);
- ORT quantize_static, x86 recommendation: QDQ, UINT8 activations (asymmetric), INT8 per-channel
  weights, MinMax, every op type ORT quantizes (onnxruntime from this venv).
Speed: `yoloq verify FLOAT MODEL --speed_runs N`, which times the float model and the quantized
one in turns in yoloq's own ONNX Runtime (batch 1), and the same in turns in this venv's
onnxruntime (another release); each model's ratio comes from its own alternating run, so a change
of the machine's load between models does not enter a ratio. Threads: ONNX Runtime's default
(--threads 0: intra_op_num_threads 0, one thread per physical core, the workers pinned to cores),
which is what a user's session gets; a table after the first compares an explicit
intra_op_num_threads of 2 (threads not pinned), which costs the INT8 models much more than the
float one. Accuracy: `yoloq eval --metric coco` against the coco128 labels.
The CPU's flags head the table: ONNX Runtime's integer kernels differ with VNNI and AMX.
Then each model's kernel time per op type with one thread (`profile`), which load changes little.
"""
import argparse
import collections
import copy
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import onnx
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
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads for the speed columns; 0 = ONNX Runtime's default (pinned)")
    parser.add_argument("--out", default="bench/results/ort-cpu-speed.md")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yoloq-ort-speed-")
    y = args.yoloq

    models = {}
    models["yoloq ort-cpu (default)"] = os.path.join(work, "yoloq.onnx")
    run([y, "quantize", "--onnx_path", args.model, "--calibration_data_path", args.images, "--target", "ort-cpu",
         "--output_path", models["yoloq ort-cpu (default)"], "--no_verify", "--quiet"])
    plan = json.loads(run([y, "plan", args.model, "--target", "ort-cpu", "--yolo_head", "float-dfl"]))
    # Each earlier placement is today's plan with the later changes taken out, written by --plan.
    earlier = [("yoloq ort-cpu, `--yolo_head float-dfl`", plan)]
    earlier.append(("yoloq ort-cpu, and SiLU inputs without the range floor", without_range_floors(plan)))
    earlier.append(("yoloq ort-cpu, and Concat inputs with their own scales", without_concat_groups(earlier[-1][1], args.model)))
    earlier.append(("yoloq ort-cpu, and the image convolution quantized", without_image_conv(earlier[-1][1], args.model)))
    earlier.append(("yoloq ort-cpu, and head branches joined as exported", without_rewrite(earlier[-1][1], "head-branches-joined-apart")))
    earlier.append(("yoloq ort-cpu, and the DFL as exported", without_rewrite(earlier[-1][1], "dfl-softmax-last-axis")))
    for k, (name, p) in enumerate(earlier):
        plan_path, models[name] = os.path.join(work, f"plan{k}.json"), os.path.join(work, f"earlier{k}.onnx")
        with open(plan_path, "w") as f:
            json.dump(p, f)
        run([y, "quantize", "--onnx_path", args.model, "--calibration_data_path", args.images, "--plan", plan_path,
             "--output_path", models[name], "--no_verify", "--quiet"])
    npy = os.path.join(work, "calib.npy")
    run([y, "calib-data", args.images, "--output", npy])
    ort_model = os.path.join(work, "ort-x86.onnx")
    # quantize_static writes a shape-inferred copy beside its input: work on a copy (shared/data is read-only).
    float_copy = os.path.join(work, "float.onnx")
    shutil.copyfile(args.model, float_copy)
    quantize_static(float_copy, ort_model, Images(npy), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                    calibrate_method=CalibrationMethod.MinMax)
    models["ORT quantize_static, x86 (QDQ, U8 activations, S8 per-channel weights)"] = ort_model

    rows = []
    float_map = json.load(open(eval_json(y, args.model, args, work, "float")))["map50_95"]
    for name, path in models.items():
        report = os.path.join(work, os.path.basename(path) + ".verify.json")
        run([y, "verify", args.model, path, "--data", args.images, "--speed_runs", str(args.runs),
             "--threads", str(args.threads), "--quiet", "--json", report])
        speed = json.load(open(report))["speed"]
        m = json.load(open(eval_json(y, path, args, work, os.path.basename(path))))["map50_95"]
        pf, pq = timed_in_turns([args.model, path], args.runs, args.threads)
        rows.append((name, speed["float_median_ms"], speed["quant_median_ms"], speed["speedup"], pf, pq, m))
        print(rows[-1], flush=True)

    cpu, flags = cpu_flags()
    with open(args.out, "w") as f:
        f.write("# ort-cpu speed (generated by bench/ort_cpu_speed.py)\n\n")
        f.write(f"CPU: {cpu}, {os.cpu_count()} cores; flags: {flags}. Load average at the end: "
                f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}.\n\n")
        threads = ("ONNX Runtime's default threads (intra_op_num_threads 0: one per physical core, pinned)"
                   if args.threads == 0 else f"{args.threads} intra-op threads")
        f.write(f"Model `{os.path.basename(args.model)}`, batch 1, ONNX Runtime CPU with {threads} (yoloq's "
                f"own runtime, `yoloq verify --speed_runs {args.runs}`: float and quantized timed in turns, medians). "
                f"mAP50-95: `yoloq eval --metric coco` on the 126 coco128 images; the float model scores "
                f"{float_map:.4f}.\n\n")
        f.write(f"| model | yoloq's ORT {ort_version(y)}: float ms | quantized ms | speed-up | "
                f"Python ORT {ort.__version__}: float ms | quantized ms | speed-up | mAP50-95 |\n"
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
        for name, fms, qms, ratio, pf, pq, m in rows:
            f.write(f"| {name} | {fms:.1f} | {qms:.1f} | {ratio:.2f}x | {pf:.1f} | {pq:.1f} | {pf / pq:.2f}x | {m:.4f} |\n")
        f.write(f"\n## Thread settings (Python ORT {ort.__version__}, the three models timed in turns, medians of "
                f"{args.runs} runs)\n\n| intra_op_num_threads | float ms | yoloq ort-cpu ms | speed-up | ORT x86 ms | "
                "speed-up |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
        trio = [args.model, models["yoloq ort-cpu (default)"], ort_model]
        for setting in (0, 2, 0, 2):
            fms, yms, oms = timed_in_turns(trio, args.runs, setting)
            label = "0 (default: one per core, pinned)" if setting == 0 else f"{setting} (not pinned)"
            f.write(f"| {label} | {fms:.1f} | {yms:.1f} | {fms / yms:.2f}x | {oms:.1f} | {fms / oms:.2f}x |\n")
        per_model = profile({"float": args.model, **models}, work)
        ops = sorted({op for by_op in per_model.values() for op in by_op},
                     key=lambda op: -max(by_op[op] for by_op in per_model.values()))
        f.write(f"\n## Where the time goes (Python ORT {ort.__version__}, one thread, ms)\n\n"
                "Kernel time per op type, each node's minimum over 20 runs with one intra-op thread: the CPU work of "
                "each model, which other load on the machine barely changes. Columns in the order of the rows above.\n\n")
        f.write("| op | " + " | ".join(per_model) + " |\n| --- |" + " ---: |" * len(per_model) + "\n")
        for op in ops:
            f.write(f"| {op} | " + " | ".join(f"{by_op[op]:.2f}" for by_op in per_model.values()) + " |\n")
        f.write("| **total** | " + " | ".join(f"**{sum(by_op.values()):.2f}**" for by_op in per_model.values()) + " |\n")
    print("wrote", args.out)


def without_range_floors(plan):
    """The plan as it was before ort-cpu.silu-input-floor: every UINT8 range as calibrated."""
    plan = copy.deepcopy(plan)
    plan.pop("range_floors", None)
    return plan


def without_rewrite(plan, kind):
    plan = copy.deepcopy(plan)
    plan["rewrites"] = [r for r in plan.get("rewrites", []) if r["kind"] != kind]
    return plan


MOVERS = {"Split", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Slice", "Gather", "Expand", "Tile",
          "MaxPool", "Resize"}


def without_concat_groups(plan, model_path):
    """The plan as it was before ort-cpu.concat-same-scale: scale groups from data-movement ops
    alone (a quantized input and output of Split, MaxPool, Resize, ... share a scale)."""
    plan = copy.deepcopy(plan)
    quantized = {a["tensor"] for a in plan["activations"]}
    parent = {}

    def find(t):
        while parent.setdefault(t, t) != t:
            t = parent[t]
        return t

    for n in onnx.load(model_path, load_external_data=False).graph.node:
        if n.op_type in MOVERS and n.input[0] in quantized:
            for o in n.output:
                if o in quantized:
                    parent[find(o)] = find(n.input[0])
    groups = collections.defaultdict(set)
    for t in parent:
        groups[find(t)].add(t)
    plan["scale_groups"] = [{"rule": "ort-cpu.data-movement-same-scale", "tensors": sorted(g)}
                            for g in groups.values() if len(g) > 1]
    return plan


def without_image_conv(plan, model_path):
    """The plan as it was before ort-cpu.float-image-conv: the image's convolution and its SiLU
    integer kernels again (their inputs and outputs quantized, the weight per channel)."""
    plan = copy.deepcopy(plan)
    graph = onnx.load(model_path, load_external_data=False).graph
    nodes = {n.name: n for n in graph.node}
    floats = [f["node"] for f in plan["float_nodes"] if f["rule"] == "ort-cpu.float-image-conv"]
    plan["float_nodes"] = [f for f in plan["float_nodes"] if f["node"] not in floats]
    readers = {}
    for n in graph.node:
        for i in n.input:
            readers.setdefault(i, []).append(n.name)
    quantized = {a["tensor"] for a in plan["activations"]}
    for name in floats:
        n = nodes[name]
        for t in list(n.input[:1] if n.op_type == "Conv" else n.input) + list(n.output):
            if t not in quantized:
                plan["activations"].append({"tensor": t, "consumers": sorted(readers.get(t, [])), "rule": "bench.earlier"})
                quantized.add(t)
        if n.op_type == "Conv":
            plan["weights"].append({"node": name, "tensor": n.input[1], "axis": 0, "quantize_bias": True,
                                    "rule": "bench.earlier", "u8s8_pair_safe": True})
    return plan


def profile(models, work):
    """Kernel time per op type, one intra-op thread, each node's minimum over 20 runs: CPU work
    that another process on the machine barely changes (it can only lengthen a run, and the
    minimum skips those)."""
    x = {"images": np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)}
    per_model = {}
    for name, path in models.items():
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.enable_profiling = True
        # In the work folder: never beside the model, which may be shared read-only data.
        options.profile_file_prefix = os.path.join(work, "profile")
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        for _ in range(25):
            session.run(None, x)
        nodes, kinds = collections.defaultdict(list), {}
        for e in json.load(open(session.end_profiling())):
            if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
                nodes[e["name"]].append(e["dur"])
                kinds[e["name"]] = e["args"]["op_name"]
        by_op = collections.Counter()
        for node, durations in nodes.items():
            by_op[kinds[node]] += min(durations[5:]) / 1000
        per_model[name] = by_op
    return per_model


def timed_in_turns(models, runs, threads):
    """Medians of the models timed in turns in this venv's onnxruntime (another build than
    yoloq's), `threads` intra-op threads (0: ONNX Runtime's default), one letterboxed-size random
    input, after 5 warm-up runs each."""
    import time
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    sessions = [ort.InferenceSession(m, options, providers=["CPUExecutionProvider"]) for m in models]
    x = {"images": np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)}
    times = [[] for _ in sessions]
    for i in range(runs + 5):
        for k, session in enumerate(sessions):
            start = time.perf_counter()
            session.run(None, x)
            if i >= 5:
                times[k].append(1000 * (time.perf_counter() - start))
    return [float(np.median(t)) for t in times]



def eval_json(y, model, args, work, tag):
    out = os.path.join(work, tag + ".eval.json")
    run([y, "eval", model, "--images", args.images, "--labels", args.labels, "--metric", "coco", "--quiet",
         "--json", out])
    return out


if __name__ == "__main__":
    main()
