"""Agreement of yoloq's default quantization per model family and task, for both targets.

For every model given (reference exports, synth graphs, the shared real models): `yoloq quantize`
with default settings on the coco128 images, then the figures verification reports on the
held-out eighth: the head found, agreement with the float model's predictions (mAP50-95 of boxes
for detect, segment and pose models, of rotated boxes for OBB, top-1 agreement and top-5 overlap
for classify; masks and keypoints (OKS) apart), the SNR of each part of the first output (boxes,
class scores, the task's own channels), the verdict, or why predictions were not scored. Writes a
Markdown table.

    python3 bench/accuracy/tasks.py --yoloq build/yoloq --images ../shared/data/coco128/images \
        --out bench/results/tasks.md MODEL.onnx ... [--synth ARCH ...]

Only the COCO-trained models (the first rows) say something about accuracy. The random-weight
exports of bench/exports find nothing at score >= 0.25, so there is no agreement to score; synth
graphs with synthetic weights find thousands of boxes of near-equal scores, where any rounding
reorders them, so their low agreement is the weights', not the quantizer's. For those rows the
table shows that every family and task quantizes, verifies and reports.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def quantize(yoloq, model, images, target, work):
    name = os.path.splitext(os.path.basename(model))[0]
    out = os.path.join(work, f"{name}.{target}.onnx")
    report = os.path.join(work, f"{name}.{target}.md")
    run = subprocess.run([yoloq, "quantize", "--onnx_path", model, "--calibration_data", images, "--target", target,
                          "--output_path", out, "--report", report, "--quiet"], capture_output=True, text=True)
    if run.returncode not in (0, 3):
        return {"error": (run.stderr.strip().splitlines() or ["?"])[-1]}
    return json.load(open(report[:-3] + ".json"))


def fmt_db(value):
    return "-" if value is None else ("inf" if value == float("inf") else f"{value:.1f}")


def row(label, target, report):
    if "error" in report:
        return f"| {label} | {target} | error: {report['error']} | | | | | | |"
    v = report["verification"]
    det = v["detections"]
    first = v["numerics"][0]
    head = report["settings"].get("head") or "none found"
    if v.get("classification"):
        c = v["classification"]
        agreement = f"top-1 {c['top1_agreement']:.3f}, top-5 overlap {c['top5_overlap']:.3f} ({c['images']} images)"
    elif det["evaluated"]:
        agreement = f"{det['agreement']['map50_95']:.3f} ({det['reference_objects']} objects)"
    else:
        agreement = det["note"]
    own = [f"{name} {det[key]['map50_95']:.3f}" for key, name in (("mask_agreement", "masks"),
                                                                   ("keypoint_agreement", "keypoints"))
           if det.get(key)]
    if first.get("end_to_end"):
        parts = "end-to-end rows (compared as detections)"
    elif first.get("detect_output"):
        parts = f"boxes {fmt_db(first.get('box_snr_db'))}, scores {fmt_db(first.get('class_score_snr_db'))}"
        if first.get("task_channels"):
            parts += f", {first['task_channels']['name']} {fmt_db(first['task_channels']['snr_db'])}"
    else:
        parts = f"whole output {fmt_db(first.get('snr_db'))}"
    s = report["summary"]
    verdict = v["verdict"]["level"]
    if verdict != "PASS":
        verdict += ": " + "; ".join(v["verdict"]["reasons"])
    return (f"| {label} | {target} | {head.split(':')[0]} | {s['quantize_linear']}+{s['dequantize_linear']} | "
            f"{s['float_nodes']} | {parts} | {agreement} | {', '.join(own) or '-'} | {verdict} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--yoloq", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--synth", nargs="*", default=[], help="synth architectures (synthetic weights, seed 0)")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="yoloq-tasks-")
    models = [(os.path.basename(m), m) for m in args.models]
    for arch in args.synth:
        path = os.path.join(work, f"synth-{arch}.onnx")
        subprocess.run([args.yoloq, "synth", "--arch", arch, "-o", path], check=True, capture_output=True)
        models.append((f"synth {arch}", path))
    lines = ["| model | target | head found | Q+DQ nodes | float nodes | output0 SNR dB by part | agreement (boxes; "
             "rotated boxes; classes) | masks / keypoints agreement | verdict |",
             "| --- | --- | --- | ---: | ---: | --- | --- | --- | --- |"]
    defaults = set()  # (calibration method, head preset) of the runs, as their reports name them
    for label, path in models:
        for target in ("trt", "ort-cpu"):
            report = quantize(args.yoloq, path, args.images, target, work)
            if "settings" in report:
                defaults.add(f"{report['settings']['calibration_method']}, {report['settings']['yolo_head']}")
            lines.append(row(label, target, report))
            print(lines[-1], flush=True)
    with open(args.out, "w") as f:
        paragraphs = __doc__.split("\n\n")
        f.write("# " + paragraphs[0].strip() + "\n\n" + paragraphs[1].strip() + "\n\n" + paragraphs[3].strip() + "\n\n" +
                "Machine: Intel Xeon, 2 cores, AVX2, AVX-512, AVX-512 VNNI, AMX-INT8; yoloq defaults (" +
                "; ".join(sorted(defaults)) + ").\n\n" +
                "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
