#!/usr/bin/env bash
# RealData cross-check: `yoloq eval --metric coco` must agree with pycocotools within 0.001 on
# mAP50-95 and mAP50. pycocotools and numpy come from PyPI into tests/.venv (gitignored).
# Usage: coco_crosscheck.sh YOLOQ_BINARY SOURCE_DIR
set -euo pipefail
yoloq=$1
source_dir=$2
data=${YOLOQ_DATA:-$source_dir/../shared/data}
model=$data/models/yolo11n-coco-640.onnx
images=$data/coco128/images
labels=$data/coco128/labels
[[ -f $model && -d $images ]] || { echo "no test data at $data"; exit 1; }

venv=$source_dir/tests/.venv
if ! "$venv/bin/python" -c "import pycocotools, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pycocotools numpy
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$yoloq" eval "$model" --images "$images" --labels "$labels" --metric coco --quiet \
  --save_json "$work/detections.json" --json "$work/metrics.json"
read -r yq_map yq_map50 < <("$venv/bin/python" -c \
  'import json, sys; m = json.load(open(sys.argv[1])); print(m["map50_95"], m["map50"])' "$work/metrics.json")
read -r pc_map pc_map50 < <("$venv/bin/python" "$source_dir/tests/yolo/coco_crosscheck.py" \
  "$images" "$labels" "$work/detections.json" 80 | tail -n 1)
echo "yoloq coco: mAP50-95 $yq_map mAP50 $yq_map50; pycocotools: mAP50-95 $pc_map mAP50 $pc_map50"
awk -v a="$yq_map" -v b="$pc_map" -v c="$yq_map50" -v d="$pc_map50" 'BEGIN {
  da = a - b; if (da < 0) da = -da; dc = c - d; if (dc < 0) dc = -dc;
  if (da > 0.001 || dc > 0.001) { print "DISAGREE by " da " / " dc; exit 1 }
  print "agree within 0.001 (" da ", " dc ")" }'
