"""Agreement over a whole image folder, for the bench scripts: the float model's detections with
score >= 0.25 written as YOLO labels, then the INT8 model's COCO mAP50-95 against them with
`yoloq eval` (verification's agreement, on every image rather than the held-out eighth).
"""
import glob
import json
import os
import subprocess

import cv2


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def quantize(yoloq, model, images, out, target):
    report = out[:-5] + ".md"
    run([yoloq, "quantize", "--onnx_path", model, "--calibration_data_path", images, "--output_path", out,
         "--target", target, "--report", report, "--quiet"])
    return json.load(open(report[:-3] + ".json"))


def float_labels(yoloq, model, images, imgsz, folder):
    """The float model's detections with score >= 0.25, as YOLO label files."""
    detections = os.path.join(folder, "float.json")
    cmd = [yoloq, "eval", model, "--images", images, "--labels", folder, "--quiet", "--save_json", detections]
    if imgsz:
        cmd += ["--imgsz", str(imgsz)]
    run(cmd)
    paths = sorted(p for p in glob.glob(os.path.join(images, "*")) if p.lower().endswith((".jpg", ".png")))
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    numeric = all(s.isdigit() for s in stems) and len({int(s) for s in stems}) == len(stems)
    ids = {int(s) if numeric else i + 1: (p, s) for i, (p, s) in enumerate(zip(paths, stems))}
    lines = {s: [] for s in stems}
    for d in json.load(open(detections)):
        if d["score"] < 0.25:
            continue
        path, stem = ids[d["image_id"]]
        h, w = cv2.imread(path).shape[:2]
        x, y, bw, bh = d["bbox"]
        lines[stem].append(f"{d['category_id']} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} {bw / w:.6f} {bh / h:.6f}")
    labels = os.path.join(folder, f"labels{imgsz}")
    os.makedirs(labels, exist_ok=True)
    for stem, rows in lines.items():
        with open(os.path.join(labels, stem + ".txt"), "w") as f:
            f.write("\n".join(rows) + ("\n" if rows else ""))
    return labels, sum(len(r) for r in lines.values())


def agreement(yoloq, model, images, labels, imgsz):
    cmd = [yoloq, "eval", model, "--images", images, "--labels", labels, "--metric", "coco", "--quiet", "--json",
           labels + ".metrics.json"]
    if imgsz:
        cmd += ["--imgsz", str(imgsz)]
    run(cmd)
    return json.load(open(labels + ".metrics.json"))["map50_95"]
