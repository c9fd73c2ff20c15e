#!/usr/bin/env bash
# Measures what the defaults of `yoloq quantize` are chosen by: mAP50-95 on the coco128 labels of
# the shared YOLO11n at 640 for every calibration method x --yolo_head mode (target trt),
# calibrated on the coco128 images. One calibration per method (its cache is reused by the other
# head modes: the int8 plan's tensors cover theirs). Writes a TSV and prints a table.
#   bench/accuracy/choose_defaults.sh [OUT_DIR]      (env: YOLOQ_DATA, METHODS, HEADS, TARGET)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${YOLOQ_DATA:-$root/../shared/data}"
out="${1:-$root/build/accuracy}"
methods="${METHODS:-max entropy percentile mse}"
heads="${HEADS:-int8 float-dfl float}"
target="${TARGET:-trt}"
yoloq="$root/build/yoloq"
model="$data/models/yolo11n-coco-640.onnx"
mkdir -p "$out"
tsv="$out/accuracy-$target.tsv"
printf "target\tmethod\tyolo_head\tqdq_nodes\tmap50_95\tmap50\n" >"$tsv"

eval_json() { # model json
  "$yoloq" eval "$1" --images "$data/coco128/images" --labels "$data/coco128/labels" --json "$2" >/dev/null 2>&1
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

eval_json "$model" "$out/float.json"
printf "float\t-\t-\t0\t%s\t%s\n" "$(field "$out/float.json" map50_95)" "$(field "$out/float.json" map50)" >>"$tsv"
for method in $methods; do
  for head in $heads; do
    q="$out/$target-$method-$head.onnx"
    "$yoloq" quantize --onnx_path "$model" --output_path "$q" --target "$target" --yolo_head "$head" \
      --calibration_method "$method" --calibration_data_path "$data/coco128/images" \
      --calibration_cache_path "$out/cache-$target-$method.json" --quiet --no_verify >"$q.log" 2>&1 ||
      { echo "quantize failed: $q.log" >&2; continue; }
    qdq=$("$yoloq" inspect --json "$q" | python3 -c "import json,sys; d=json.load(sys.stdin)['qdq']; print(d['quantize_linear']+d['dequantize_linear'])")
    eval_json "$q" "$q.eval.json"
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$target" "$method" "$head" "$qdq" "$(field "$q.eval.json" map50_95)" "$(field "$q.eval.json" map50)" >>"$tsv"
    tail -n 1 "$tsv"
  done
done
column -t "$tsv"
