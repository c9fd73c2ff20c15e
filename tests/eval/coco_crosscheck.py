"""Independent check of `yoloq eval --metric coco`: pycocotools' COCOeval on the detections yoloq
saved with --save_json and on the YOLO labels converted to a COCO ground-truth file.

Usage: coco_crosscheck.py IMAGES LABELS RESULTS_JSON NUM_CLASSES  -> prints "map50_95 map50 small medium large".
Image ids follow yoloq's rule: the file stem as a number when all stems are distinct numbers,
else the position in the sorted file list, from 1. Image sizes are read from the file headers
(JPEG/PNG) so that no image library is needed.
"""
import json
import os
import struct
import sys

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def image_size(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    raise SystemExit(f"{path}: cannot read the image size")


def main():
    images_dir, labels_dir, results_path, num_classes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    names = sorted(n for n in os.listdir(images_dir) if os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS)
    stems = [os.path.splitext(n)[0] for n in names]
    numeric = all(s.isdigit() and len(s) <= 15 for s in stems) and len({int(s) for s in stems}) == len(stems)
    ids = [int(s) for s in stems] if numeric else list(range(1, len(stems) + 1))

    gt = {"images": [], "annotations": [], "categories": [{"id": c, "name": str(c)} for c in range(num_classes)]}
    for name, stem, image_id in zip(names, stems, ids):
        width, height = image_size(os.path.join(images_dir, name))
        gt["images"].append({"id": image_id, "width": width, "height": height, "file_name": name})
        label_path = os.path.join(labels_dir, stem + ".txt")
        if not os.path.exists(label_path):
            continue
        with open(label_path) as f:
            for line in f:
                fields = line.split()
                if not fields:
                    continue
                cls, cx, cy, w, h = int(float(fields[0])), *map(float, fields[1:5])
                x, y = (cx - w / 2) * width, (cy - h / 2) * height
                bw, bh = w * width, h * height
                # Annotation ids from 1: COCOeval treats a match with id 0 as no match.
                gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": image_id, "category_id": cls,
                                          "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": 0})
    coco_gt = COCO()
    coco_gt.dataset = gt
    coco_gt.createIndex()
    with open(results_path) as f:
        results = json.load(f)
    coco_dt = coco_gt.loadRes(results) if results else COCO()
    evaluator = COCOeval(coco_gt, coco_dt, "bbox")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    # mAP50-95, mAP50, then mAP50-95 for small, medium and large objects.
    print(" ".join(f"{evaluator.stats[i]:.9f}" for i in (0, 1, 3, 4, 5)))


if __name__ == "__main__":
    main()
