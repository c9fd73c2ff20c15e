"""The `dynamic=True` export: quantized with its dynamic dimensions kept, run at batch 1 and 8 and
at 480 and 640, with the agreement of the static export.

Ultralytics' dynamic export has random weights (bench/exports), which detect nothing. Its learned
parameters have the names and shapes of the shared COCO-trained YOLO11n's, so they are copied in
(the anchors and strides of a dynamic export are computed from the feature maps' shapes, not
stored); the script checks the result gives the static model's outputs exactly at 640.

Then, for the static model and the dynamic one, `yoloq quantize` with default settings on the
coco128 images (the dynamic model's height and width come from its metadata imgsz), and for
each image size: the float model's detections with score >= 0.25 written as YOLO labels, and the
INT8 model's COCO mAP50-95 against them (`yoloq eval --imgsz`), which is verification's
agreement over all 126 images. Batch 8: the INT8 dynamic model run on batches of 8 letterboxed
images must give each image's batch-1 output.

    bench/exports/.venv/bin/python bench/accuracy/dynamic.py --yoloq build/yoloq \
        --export /work/exports/yolo11n-dynamic.onnx --out bench/results/dynamic.md
Needs onnx, onnxruntime, numpy and cv2: the bench/exports venv has them.
"""
import argparse
import glob
import os
import tempfile

import cv2
import numpy as np
import onnx
import onnxruntime as ort

from agreement import agreement, float_labels, quantize


def real_weight_dynamic(export, static, out):
    """The dynamic export with the static model's learned parameters."""
    dyn, st = onnx.load(export), onnx.load(static)
    # The shared model was turned back into float from a Q/DQ export: its weights keep that name.
    source = {i.name.replace("_DequantizeLinear_Output", ""): i for i in st.graph.initializer}
    copied = 0
    for init in dyn.graph.initializer:
        s = source.get(init.name)
        if s is not None and list(s.dims) == list(init.dims) and s.data_type == init.data_type:
            name = init.name
            init.CopyFrom(s)
            init.name = name
            copied += 1
        elif init.name.startswith("model."):
            raise SystemExit(f"{init.name}: no parameter of that name and shape in {static}")
    onnx.save(dyn, out)
    x = np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)
    a = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]
    b = ort.InferenceSession(static, providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]
    return copied, float(np.abs(a - b).max())


def letterbox(path, size):
    image = cv2.imread(path)
    h, w = image.shape[:2]
    r = min(size / h, size / w)
    nh, nw = round(h * r), round(w * r)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas = np.full((size, size, 3), 114, np.uint8)
    canvas[top:top + nh, left:left + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0


def batch8_difference(model, images, size):
    """Largest difference between a batch of 8 and the same images one by one."""
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    paths = sorted(glob.glob(os.path.join(images, "*.jpg")))[:16]
    worst = 0.0
    for start in range(0, len(paths), 8):
        batch = np.stack([letterbox(p, size) for p in paths[start:start + 8]])
        together = session.run(None, {"images": batch})[0]
        for i in range(len(batch)):
            alone = session.run(None, {"images": batch[i:i + 1]})[0]
            worst = max(worst, float(np.abs(together[i] - alone[0]).max()))
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--yoloq", default="build/yoloq")
    parser.add_argument("--export", default="/work/exports/yolo11n-dynamic.onnx")
    parser.add_argument("--static", default="../shared/data/models/yolo11n-coco-640.onnx")
    parser.add_argument("--images", default="../shared/data/coco128/images")
    parser.add_argument("--out", default="bench/results/dynamic.md")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yoloq-dynamic-")
    dynamic = os.path.join(work, "yolo11n-dynamic-coco.onnx")
    copied, difference = real_weight_dynamic(args.export, args.static, dynamic)

    rows = []
    for target in ("trt", "ort-cpu"):
        for name, model, sizes in (("static", args.static, (640,)), ("dynamic", dynamic, (480, 640))):
            int8 = os.path.join(work, f"{name}.{target}.onnx")
            report = quantize(args.yoloq, model, args.images, int8, target)
            dims = [d.dim_param or str(d.dim_value) for d in onnx.load(int8).graph.input[0].type.tensor_type.shape.dim]
            for size in sizes:
                folder = os.path.join(work, f"{name}.{target}.{size}")
                os.makedirs(folder, exist_ok=True)
                imgsz = size if name == "dynamic" else 0
                labels, boxes = float_labels(args.yoloq, model, args.images, imgsz, folder)
                agree = agreement(args.yoloq, int8, args.images, labels, imgsz)
                b8 = batch8_difference(int8, args.images, size) if name == "dynamic" else None
                rows.append((name, target, "x".join(dims), size, boxes, agree,
                             report["verification"]["detections"]["agreement"]["map50_95"] if size == 640 else None, b8))
                print(rows[-1], flush=True)

    with open(args.out, "w") as f:
        f.write("# The dynamic export (generated by bench/accuracy/dynamic.py)\n\n")
        f.write(f"Ultralytics 8.4.190's `dynamic=True` YOLO11n export with the shared COCO-trained YOLO11n's {copied} "
                f"learned parameters copied in: at 640 its output differs from the static model's by {difference:g} "
                "(max abs). Both quantized by `yoloq quantize` with default settings on the 126 coco128 images; the "
                "dynamic model's height and width come from its metadata imgsz, and the INT8 model keeps the "
                "export's dynamic dimensions.\n\n")
        f.write("Agreement: COCO mAP50-95 of the INT8 model's detections against the float model's (score >= 0.25) "
                "at that image size, over all 126 images (`yoloq eval --imgsz`); the verification column is "
                "quantize's own figure on its held-out eighth. Batch 8: the largest difference between the INT8 "
                "model's output for a batch of 8 images and for the same images one at a time (16 images).\n\n")
        f.write("| model | target | INT8 input | image size | float boxes | agreement, 126 images | "
                "verification agreement | batch 8 vs 1, max abs |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
        for name, target, dims, size, boxes, agree, verified, b8 in rows:
            f.write(f"| {name} | {target} | [{dims}] | {size} | {boxes} | {agree:.3f} | "
                    f"{'-' if verified is None else f'{verified:.3f}'} | {'-' if b8 is None else f'{b8:.3g}'} |\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
