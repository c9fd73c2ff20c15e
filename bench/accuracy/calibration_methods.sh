#!/usr/bin/env bash
# Compares --calibration_method choices as `yoloq quantize` reports them: agreement with the float
# model and mAP50-95 drop against the coco128 labels on the eighth of the images it holds out, the
# methods auto chose (counts) and the stage times, per target. Prints a Markdown table.
#   bench/accuracy/calibration_methods.sh [OUT_DIR]   (env: YOLOQ_DATA, MODEL, TARGETS, METHODS)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${YOLOQ_DATA:-$root/../shared/data}"
out="${1:-$root/build/calibration-methods}"
model="${MODEL:-yolo11n-coco-640}"
targets="${TARGETS:-trt ort-cpu}"
methods="${METHODS:-mse max entropy percentile auto}"
yoloq="$root/build/yoloq"
mkdir -p "$out"

echo "| target | method | agreement mAP50-95 | mAP50-95 drop vs labels (points) | calibrate (s) | auto selection (s) | auto chose |"
echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
for target in $targets; do
  for method in $methods; do
    q="$out/$model-$target-$method.onnx"
    "$yoloq" quantize --onnx_path "$data/models/$model.onnx" --output_path "$q" --target "$target" \
      --data "$data/coco128/images" --labels "$data/coco128/labels" --calibration_method "$method" \
      --quiet --report "$q.md" >"$q.log" 2>&1 || { echo "quantize failed: $q.log" >&2; continue; }
    python3 - "$q.json" "$target" "$method" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
det = d["verification"]["detections"]
t = d["times_s"]
chose = ", ".join(f"{m} {n}" for m, n in sorted(d.get("calibration_methods", {}).items(), key=lambda x: -x[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {det['agreement']['map50_95']:.3f} | {det['coco']['drop_points']:.2f} "
      f"| {t['calibrate']:.1f} | {t.get('select', 0):.1f} | {chose or '-'} |")
PY
  done
done
