#!/usr/bin/env python3
"""Export the reference Ultralytics models to ONNX from their yaml files (random weights).

Run by export.sh inside bench/exports/.venv: `export.py OUT_DIR`. Writes OUT_DIR/<name>.onnx for
every row of MODELS and OUT_DIR/manifest.json (versions, export arguments, time, errors), which
summarize.py reads. Every export uses Ultralytics' defaults (format=onnx, imgsz 640, default opset,
simplify=True) plus only the arguments named in MODELS.
"""
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path

# Before ultralytics and torch are imported. No network: no weights exist here, and Ultralytics must
# not check for updates, fetch fonts/assets, send telemetry or pip-install a missing requirement.
# Its settings file goes into the venv, not $HOME. CPU export, as on the machines without a GPU.
os.environ["YOLO_OFFLINE"] = "1"
os.environ["YOLO_AUTOINSTALL"] = "false"
os.environ.setdefault("YOLO_CONFIG_DIR", os.path.join(sys.prefix, "ultralytics-config"))
os.environ["CUDA_VISIBLE_DEVICES"] = ""

# Refuse every network access all the same, and remember what was tried: the settings above
# should keep Ultralytics from trying; this proves it.
NETWORK_ATTEMPTS = []


def _no_network(*args, **kwargs):
    NETWORK_ATTEMPTS.append(repr(args[:2])[:200])
    raise OSError("network access blocked by bench/exports/export.py")


socket.getaddrinfo = _no_network
socket.create_connection = _no_network
socket.socket.connect = _no_network

# (output name, model yaml, export arguments besides format="onnx").
# Ultralytics 8.4.142 changed the default: `nms=None` (new default) exports the one-to-many head
# ([1,84,8400], NMS outside) even for YOLO26 and YOLOv10; `nms=False` asks for the NMS-free
# end-to-end head ([1,300,6]), which was the default up to 8.4.141. `end2end` is deprecated and
# mapped onto `nms` (end2end=False -> nms=None), so the "-end2end_false" row is exported with the
# old spelling to show it gives the same graph as the default.
MODELS = [
    ("yolo11n", "yolo11n.yaml", {}),
    ("yolo11n-seg", "yolo11n-seg.yaml", {}),
    ("yolo11n-pose", "yolo11n-pose.yaml", {}),
    ("yolo11n-obb", "yolo11n-obb.yaml", {}),
    ("yolo11n-cls", "yolo11n-cls.yaml", {}),
    ("yolo26n", "yolo26n.yaml", {}),
    ("yolo26n-e2e", "yolo26n.yaml", {"nms": False}),
    ("yolo26n-end2end_false", "yolo26n.yaml", {"end2end": False}),
    ("yolov10n", "yolov10n.yaml", {}),
    ("yolov10n-e2e", "yolov10n.yaml", {"nms": False}),
    ("yolov8n", "yolov8n.yaml", {}),
    ("yolo11s", "yolo11s.yaml", {}),
    ("yolo26s", "yolo26s.yaml", {}),
    ("yolo26s-e2e", "yolo26s.yaml", {"nms": False}),
    ("yolo11n-dynamic", "yolo11n.yaml", {"dynamic": True}),  # batch, height, width symbolic
]


def randomize_like_trained(model, torch):
    """Fresh weights are not like trained ones in one way that changes the exported graph: BatchNorm
    starts as the identity, so every fused Conv bias is all zeros, and the head's last biases are one
    constant per layer. onnxslim then merges equal tensors into shared initializers (8 zero biases
    used up to 28 times in YOLO11n), which no trained export has. Random BatchNorm statistics and a
    little noise on the plain Conv biases (from the same seed) keep every tensor distinct."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
            elif isinstance(m, torch.nn.Conv2d) and m.bias is not None:
                m.bias.add_(0.01 * torch.randn_like(m.bias))


def main():
    out = Path(sys.argv[1]).resolve()
    only = set(sys.argv[2:])  # optional model names, for a quick partial run
    out.mkdir(parents=True, exist_ok=True)

    import onnx
    import onnxruntime
    import onnxslim
    import torch
    import ultralytics
    from ultralytics import YOLO

    rows = []
    for name, yaml, kwargs in MODELS:
        if only and name not in only:
            continue
        row = {"file": f"{name}.onnx", "yaml": yaml, "export_args": kwargs}
        t0 = time.perf_counter()
        try:
            # Same random weights on every run: seed right before the weights are initialised.
            torch.manual_seed(0)
            model = YOLO(yaml)
            randomize_like_trained(model.model, torch)
            row["task"] = model.task
            # Ultralytics writes <yaml stem>.onnx into the working directory: use a scratch one.
            with tempfile.TemporaryDirectory() as tmp:
                cwd = os.getcwd()
                os.chdir(tmp)
                try:
                    f = Path(tmp, model.export(format="onnx", **kwargs))  # it returns a relative path
                finally:
                    os.chdir(cwd)
                shutil.move(f, out / row["file"])
        except Exception as e:  # record it and go on with the other models
            row["error"] = f"{type(e).__name__}: {e}"
            traceback.print_exc()
        row["seconds"] = round(time.perf_counter() - t0, 2)
        rows.append(row)

    manifest = {
        "python": platform.python_version(),
        "ultralytics": ultralytics.__version__,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxslim": onnxslim.__version__,
        "onnxruntime": onnxruntime.__version__,
        "seed": 0,
        "network_attempts": NETWORK_ATTEMPTS,
        "models": rows,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    failed = [r["file"] for r in rows if "error" in r]
    print(f"[exports] {len(rows) - len(failed)}/{len(rows)} exported to {out}"
          + (f"; failed: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    if NETWORK_ATTEMPTS:
        print(f"[exports] network access was attempted: {NETWORK_ATTEMPTS}", file=sys.stderr)
    return 1 if failed or NETWORK_ATTEMPTS else 0


if __name__ == "__main__":
    sys.exit(main())
