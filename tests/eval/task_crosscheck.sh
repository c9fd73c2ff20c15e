#!/usr/bin/env bash
# RealData cross-check of mask and keypoint AP: `yoloq eval --metric coco` must agree with
# pycocotools' segm and keypoints evaluations within 1e-6 on mAP50-95 and mAP50.
# - segment: YOLOv8n-seg on the coco128 images against the coco128-seg polygon labels;
# - pose: there are no keypoint labels in the data, so labels are made from the float pose
#   model's own detections (score >= 0.5, keypoints jittered; task_crosscheck.py pose_labels says
#   how) and the model is scored against them by both tools.
# pycocotools and numpy come from PyPI into tests/.venv (gitignored), as for coco_crosscheck.sh.
# Usage: task_crosscheck.sh YOLOQ_BINARY SOURCE_DIR
set -euo pipefail
yoloq=$1
source_dir=$2
data=${YOLOQ_DATA:-$source_dir/../shared/data}
seg_model=$data/models/yolov8n-seg-coco-320.onnx
pose_model=$data/models/yolo11n-pose-coco-640.onnx
images=$data/coco128/images
seg_labels=$data/coco128-seg/labels
[[ -f $seg_model && -f $pose_model && -d $images && -d $seg_labels ]] || { echo "no test data at $data"; exit 1; }

venv=$source_dir/tests/.venv
if ! "$venv/bin/python" -c "import pycocotools, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pycocotools numpy
fi
check=$source_dir/tests/eval/task_crosscheck.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "mAP50-95 mAP50" of the metrics JSON's part $2 (masks or keypoints).
ours() {
  "$venv/bin/python" -c 'import json, sys
m = json.load(open(sys.argv[1]))[sys.argv[2]]
print(m["map50_95"], m["map50"])' "$1" "$2"
}

compare() {  # name, ours, theirs
  echo "$1 yoloq coco:  $2"
  echo "$1 pycocotools: $3"
  awk -v name="$1" -v a="$2" -v b="$3" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); worst = 0
    for (i = 1; i <= n; ++i) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > worst) worst = d }
    if (n != 2 || worst > 1e-6) { print name " DISAGREE: largest difference " worst; exit 1 }
    print name ": agree within 1e-6 (largest difference " worst ")" }'
}

"$yoloq" eval "$seg_model" --images "$images" --labels "$seg_labels" --metric coco --quiet \
  --save_json "$work/seg.json" --json "$work/seg_metrics.json" >/dev/null
seg_theirs=$("$venv/bin/python" "$check" segm "$images" "$seg_labels" "$work/seg.json" 80 | tail -n 1)
compare "mask mAP50-95 mAP50" "$(ours "$work/seg_metrics.json" masks)" "$seg_theirs"

mkdir "$work/no_labels"
"$yoloq" eval "$pose_model" --images "$images" --labels "$work/no_labels" --metric coco --quiet \
  --save_json "$work/pose_predictions.json" >/dev/null
"$venv/bin/python" "$check" pose_labels "$images" "$work/pose_predictions.json" "$work/pose_labels" 0.5
"$yoloq" eval "$pose_model" --images "$images" --labels "$work/pose_labels" --metric coco --quiet \
  --save_json "$work/pose.json" --json "$work/pose_metrics.json" >/dev/null
pose_theirs=$("$venv/bin/python" "$check" keypoints "$images" "$work/pose_labels" "$work/pose.json" | tail -n 1)
compare "keypoint mAP50-95 mAP50" "$(ours "$work/pose_metrics.json" keypoints)" "$pose_theirs"
