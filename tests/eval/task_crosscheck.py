"""Independent check of `yoloq eval --metric coco` for segment and pose models: pycocotools'
COCOeval with iouType segm or keypoints on the results yoloq saved with --save_json, against the
YOLO labels converted to a COCO ground-truth file the way yoloq reads them.

Usage:
  task_crosscheck.py segm IMAGES LABELS RESULTS_JSON NUM_CLASSES   -> "map50_95 map50"
  task_crosscheck.py keypoints IMAGES LABELS RESULTS_JSON          -> "map50_95 map50"
  task_crosscheck.py pose_labels IMAGES RESULTS_JSON OUT_DIR MIN_SCORE
      writes YOLO pose labels (class cx cy w h x y v ...) from a pose model's results: detections
      with score >= MIN_SCORE, keypoints with visibility >= 0.5 labelled (v = 2), others v = 0.
      So that the check is not the trivial all-perfect case, each labelled keypoint is moved by a
      fixed pseudo-random offset of up to 10% of its box's size, every 7th is unlabelled, and every
      9th object has no labelled keypoint at all (COCOeval ignores such objects).

Ground truth as yoloq builds it: a segment label's polygon (pixels = normalised x width) is the
mask, its extent the box, its area the rasterized polygon's pixel count; a pose label's box is
its box, its area the box's w * h (YOLO labels carry no segmentation area), num_keypoints the
keypoints with v > 0.
"""
import json
import os
import sys

from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coco_crosscheck import IMAGE_EXTENSIONS, image_size  # noqa: E402


def dataset_images(images_dir):
    names = sorted(n for n in os.listdir(images_dir) if os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS)
    stems = [os.path.splitext(n)[0] for n in names]
    numeric = all(s.isdigit() and len(s) <= 15 for s in stems) and len({int(s) for s in stems}) == len(stems)
    ids = [int(s) for s in stems] if numeric else list(range(1, len(stems) + 1))
    return [(name, stem, image_id, *image_size(os.path.join(images_dir, name)))
            for name, stem, image_id in zip(names, stems, ids)]


def box_pixels(cx, cy, w, h, width, height):
    x, y = (cx - w / 2) * width, (cy - h / 2) * height
    return [x, y, w * width, h * height]


def ground_truth(kind, images_dir, labels_dir, num_classes):
    gt = {"images": [], "annotations": [], "categories": [{"id": c, "name": str(c)} for c in range(num_classes)]}
    for name, stem, image_id, width, height in dataset_images(images_dir):
        gt["images"].append({"id": image_id, "width": width, "height": height, "file_name": name})
        label_path = os.path.join(labels_dir, stem + ".txt")
        if not os.path.exists(label_path):
            continue
        for line in open(label_path):
            fields = line.split()
            if not fields:
                continue
            cls, values = int(float(fields[0])), [float(v) for v in fields[1:]]
            # Annotation ids from 1: COCOeval treats a match with id 0 as no match.
            ann = {"id": len(gt["annotations"]) + 1, "image_id": image_id, "category_id": cls, "iscrowd": 0}
            if kind == "segm":
                xs, ys = values[0::2], values[1::2]
                x_min, x_max, y_min, y_max = min(xs), max(xs), min(ys), max(ys)
                ann["bbox"] = box_pixels((x_min + x_max) / 2, (y_min + y_max) / 2, x_max - x_min, y_max - y_min,
                                         width, height)
                polygon = []
                for x, y in zip(xs, ys):
                    polygon += [x * width, y * height]
                ann["segmentation"] = [polygon]
                ann["area"] = float(mask_utils.area(mask_utils.merge(mask_utils.frPyObjects([polygon], height, width))))
            else:
                ann["bbox"] = box_pixels(*values[:4], width, height)
                ann["area"] = ann["bbox"][2] * ann["bbox"][3]
                keypoints = []
                for i in range(4, len(values), 3):
                    keypoints += [values[i] * width, values[i + 1] * height, values[i + 2]]
                ann["keypoints"] = keypoints
                ann["num_keypoints"] = sum(1 for v in keypoints[2::3] if v > 0)
            gt["annotations"].append(ann)
    coco_gt = COCO()
    coco_gt.dataset = gt
    coco_gt.createIndex()
    return coco_gt


def evaluate(kind, images_dir, labels_dir, results_path, num_classes):
    coco_gt = ground_truth(kind, images_dir, labels_dir, num_classes)
    results = json.load(open(results_path))
    coco_dt = coco_gt.loadRes(results) if results else COCO()
    evaluator = COCOeval(coco_gt, coco_dt, kind)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    print(f"{evaluator.stats[0]:.9f} {evaluator.stats[1]:.9f}")


def pose_labels(images_dir, results_path, out_dir, min_score):
    by_id = {image_id: (stem, width, height) for _, stem, image_id, width, height in dataset_images(images_dir)}
    lines = {}
    state = 12345

    def jitter():  # a fixed LCG in [-1, 1): the same labels on every run and machine
        nonlocal state
        state = (state * 1103515245 + 12345) % 2**31
        return state / 2**30 - 1

    objects = 0
    for r in json.load(open(results_path)):
        if r["score"] < min_score:
            continue
        stem, width, height = by_id[r["image_id"]]
        x, y, w, h = r["bbox"]
        clip = lambda v: min(max(v, 0.0), 1.0)  # noqa: E731
        fields = [r["category_id"], clip((x + w / 2) / width), clip((y + h / 2) / height), clip(w / width),
                  clip(h / height)]
        k = r["keypoints"]
        objects += 1
        for i in range(0, len(k), 3):
            labelled = k[i + 2] >= 0.5 and (i // 3) % 7 != 6 and objects % 9 != 0
            kx, ky = k[i] + 0.1 * w * jitter(), k[i + 1] + 0.1 * h * jitter()
            fields += [clip(kx / width), clip(ky / height), 2 if labelled else 0]
        lines.setdefault(stem, []).append(" ".join(f"{v:.9g}" for v in fields))
    os.makedirs(out_dir, exist_ok=True)
    for stem, text in lines.items():
        with open(os.path.join(out_dir, stem + ".txt"), "w") as f:
            f.write("\n".join(text) + "\n")
    print(f"{sum(len(t) for t in lines.values())} objects in {len(lines)} label files")


def main():
    kind = sys.argv[1]
    if kind == "segm":
        evaluate(kind, sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif kind == "keypoints":
        evaluate(kind, sys.argv[2], sys.argv[3], sys.argv[4], 1)
    elif kind == "pose_labels":
        pose_labels(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {kind} (segm, keypoints, pose_labels)")


if __name__ == "__main__":
    main()
