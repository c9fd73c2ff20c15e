#!/usr/bin/env python3
"""Numbers of one output model in ONNX Runtime (CPU), the same way for every row of the table.

    ort_metrics.py --float F.onnx --model Q.onnx --heldout H.npy [--runs N] [--warmup W]
                   [--threads T] [--json OUT]

- SNR (dB) of the model's output against the float model's on the held-out images
  (10 log10 sum(ref^2) / sum((ref - out)^2)), over the whole output and, for a YOLO detect output
  [1, 4+nc, anchors], over the box rows and the class-score rows apart: the box coordinates are
  hundreds of pixels and dominate the whole-output SNR, so a quantized head that wrecks the class
  scores can still show a high SNR there. Also the cosine similarity and the number of distinct
  class-score values (a collapsed head has very few).
- Latency: median wall time of one run over --runs runs after --warmup runs, batch 1, with
  --threads intra-op threads (default 2), one inter-op thread, sequential execution, all graph
  optimizations on. Input: the first held-out image.
"""
import argparse
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def snr_db(ref, out):
    noise = float(np.sum((ref.astype(np.float64) - out) ** 2))
    signal = float(np.sum(ref.astype(np.float64) ** 2))
    if noise == 0:
        return None  # identical outputs (the float model against itself)
    return round(10 * np.log10(signal / noise), 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--float", dest="float_model", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--heldout", required=True, help=".npy [N,C,H,W] float32")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()

    x = np.load(args.heldout)
    fs = session(args.float_model, args.threads)
    qs = session(args.model, args.threads)
    name = qs.get_inputs()[0].name
    fname = fs.get_inputs()[0].name
    refs, outs = [], []
    for i in range(len(x)):
        xi = x[i:i + 1]
        refs.append(fs.run(None, {fname: xi})[0].astype(np.float32))
        outs.append(qs.run(None, {name: xi})[0].astype(np.float32))
    ref, out = np.concatenate(refs), np.concatenate(outs)
    res = {
        "heldout_images": int(len(x)),
        "snr_db": snr_db(ref, out),
        "cosine": round(float(np.dot(ref.ravel().astype(np.float64), out.ravel())
                              / (np.linalg.norm(ref) * np.linalg.norm(out) + 1e-30)), 6),
    }
    if ref.ndim == 3 and ref.shape[1] > 4:
        res["snr_box_db"] = snr_db(ref[:, :4], out[:, :4])
        res["snr_cls_db"] = snr_db(ref[:, 4:], out[:, 4:])
        res["distinct_cls_scores"] = int(np.unique(out[:, 4:]).size)
        res["distinct_cls_scores_float"] = int(np.unique(ref[:, 4:]).size)
    del fs

    feed = {name: x[:1]}
    for _ in range(args.warmup):
        qs.run(None, feed)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        qs.run(None, feed)
        times.append(time.perf_counter() - t0)
    res["latency_ms"] = round(1000 * float(np.median(times)), 2)
    res["latency_runs"] = args.runs
    res["latency_threads"] = args.threads
    text = json.dumps(res)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
