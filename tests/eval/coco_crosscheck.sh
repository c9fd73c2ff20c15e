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
read -r -a ours < <("$venv/bin/python" -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(*(m[k] for k in ("map50_95", "map50", "map50_95_small", "map50_95_medium", "map50_95_large")))' \
  "$work/metrics.json")
read -r -a theirs < <("$venv/bin/python" "$source_dir/tests/eval/coco_crosscheck.py" \
  "$images" "$labels" "$work/detections.json" 80 | tail -n 1)
echo "yoloq coco:  ${ours[*]}"
echo "pycocotools: ${theirs[*]}"
echo "(mAP50-95, mAP50, mAP50-95 small, medium, large)"
awk -v a="${ours[*]}" -v b="${theirs[*]}" 'BEGIN {
  n = split(a, x, " "); split(b, y, " "); worst = 0
  for (i = 1; i <= n; ++i) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > worst) worst = d }
  if (n != 5 || worst > 0.001) { print "DISAGREE: largest difference " worst; exit 1 }
  print "agree within 0.001 (largest difference " worst ")" }'
