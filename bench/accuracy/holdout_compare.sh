#!/usr/bin/env bash
# Out-of-sample comparison of quantize settings: calibrate on half of coco128 (--calibration_size
# 63, a seeded choice) and score mAP50-95 (COCO-style) on the other 63 images, which no setting saw
# (the calibration files come from the report's JSON). Prints a Markdown table.
#   bench/accuracy/holdout_compare.sh [OUT_DIR]   (env: YOLOQ_DATA, MODELS, TARGETS, RUNS="name:flags;...")
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${YOLOQ_DATA:-$root/../shared/data}"
out="${1:-$root/build/holdout-compare}"
models="${MODELS:-yolo11n-coco-640 yolo26n-coco-640}"
targets="${TARGETS:-trt ort-cpu}"
runs="${RUNS:-default:;bias correction:--bias_correction on}"
yoloq="$root/build/yoloq"
mkdir -p "$out"

eval_map() { # model images_dir -> mAP50-95
  "$yoloq" eval "$1" --images "$2" --labels "$data/coco128/labels" --metric coco --json "$out/$(basename "$1").eval.json" >/dev/null 2>&1
  python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['map50_95'])" "$out/$(basename "$1").eval.json"
}

echo "| model | target | run | mAP50-95 on the 63 unseen images | float |"
echo "| --- | --- | --- | ---: | ---: |"
for model in $models; do
  float="$data/models/$model.onnx"
  for target in $targets; do
    IFS=';' read -ra list <<<"$runs"
    for run in "${list[@]}"; do
      name="${run%%:*}"
      flags="${run#*:}"
      q="$out/$model-$target-$(echo "$name" | tr -c 'a-z0-9' '_').onnx"
      # shellcheck disable=SC2086
      "$yoloq" quantize --onnx_path "$float" --output_path "$q" --target "$target" --data "$data/coco128/images" \
        --calibration_size 63 --no_verify --quiet --report "$q.md" $flags >"$q.log" 2>&1 ||
        { echo "quantize failed: $q.log" >&2; continue; }
      unseen="$out/unseen-$model"
      if [[ ! -d "$unseen" ]]; then
        mkdir -p "$unseen"
        python3 - "$q.json" "$data/coco128/images" "$unseen" <<'PY'
import json, os, sys
seen = {os.path.basename(f) for f in json.load(open(sys.argv[1]))["calibration_files"]}
for name in sorted(os.listdir(sys.argv[2])):
    if name not in seen:
        os.symlink(os.path.join(sys.argv[2], name), os.path.join(sys.argv[3], name))
PY
        echo "$(ls "$unseen" | wc -l) unseen images" >&2
        float_map=$(eval_map "$float" "$unseen")
        echo "$float_map" >"$unseen.float"
      fi
      echo "| $model | $target | $name | $(eval_map "$q" "$unseen") | $(cat "$unseen.float") |"
    done
  done
done
