#!/usr/bin/env bash
# Two-fold out-of-sample comparison, yoloq against ModelOpt method for method: coco128's images
# in sorted order are split into the even and the odd ones (63 each); each tool calibrates on one
# half (the same .npy for both, from `yoloq calib-data`) and `yoloq verify` scores the model on
# the other half: agreement mAP50-95 with the float model's detections and the COCO-style drop
# against the labels. Prints both folds and their mean per run.
#   bench/accuracy/two_fold.sh [OUT_DIR]
#   env: YOLOQ_DATA, MODEL (default yolo11n-coco-640), YOLOQ (the yoloq binary to quantize with),
#        RUNS="name:tool:target:method;..." with tool yoloq or modelopt (bench/peers' venv,
#        created by bench/peers/run.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${YOLOQ_DATA:-$root/../shared/data}"
out="${1:-$root/build/two-fold}"
model="$data/models/${MODEL:-yolo11n-coco-640}.onnx"
yoloq="$root/build/yoloq"
quantizer="${YOLOQ:-$yoloq}"
runs="${RUNS:-yoloq entropy:yoloq:trt:entropy;modelopt entropy:modelopt:trt:entropy;yoloq max:yoloq:trt:max;modelopt max:modelopt:trt:max}"
mkdir -p "$out"

# The two halves, as links to the shared images and labels.
i=0
for f in $(ls "$data/coco128/images" | sort); do
  half=$((i % 2)); i=$((i + 1))
  mkdir -p "$out/half$half/images" "$out/half$half/labels"
  ln -sf "$data/coco128/images/$f" "$out/half$half/images/$f"
  label="$data/coco128/labels/${f%.*}.txt"
  [[ -f "$label" ]] && ln -sf "$label" "$out/half$half/labels/"
done
for half in 0 1; do
  [[ -f "$out/half$half.npy" ]] || "$yoloq" calib-data "$out/half$half/images" -o "$out/half$half.npy" --model "$model" >/dev/null
done

echo "| run | agreement, fold 1 / 2 / mean | drop vs labels (points), fold 1 / 2 / mean |"
echo "| --- | ---: | ---: |"
IFS=';' read -ra list <<<"$runs"
for run in "${list[@]}"; do
  IFS=':' read -r name tool target method <<<"$run"
  results=()
  for half in 0 1; do
    other=$((1 - half))
    q="$out/$(echo "$name" | tr -c 'a-z0-9' '_')-$target-$half.onnx"
    case "$tool" in
      modelopt)
        # ModelOpt writes next to its input: a copy, so the shared model is never touched.
        cp "$model" "$out/modelopt-input-$half.onnx"
        "$root/bench/peers/.venv/bin/python" -m modelopt.onnx.quantization --onnx_path "$out/modelopt-input-$half.onnx" \
          --quantize_mode int8 --calibration_data_path "$out/half$half.npy" --calibration_method "$method" \
          --calibration_eps cpu --output_path "$q" >"$q.log" 2>&1 ;;
      yoloq)
        "$quantizer" quantize --onnx_path "$model" --calibration_data_path "$out/half$half.npy" --target "$target" \
          --calibration_method "$method" --no_verify --quiet --output_path "$q" >"$q.log" 2>&1 ;;
      *) echo "two_fold.sh: unknown tool '$tool' (yoloq or modelopt)" >&2; exit 2 ;;
    esac
    # verify exits non-zero on a FAIL verdict; its JSON has the numbers either way.
    "$yoloq" verify "$model" "$q" --data "$out/half$other/images" --labels "$out/half$other/labels" --samples 63 \
      --speed_runs 0 --quiet --json "$q.verify.json" >/dev/null 2>&1 || true
    results+=("$q.verify.json")
  done
  python3 - "$name ($target)" "${results[@]}" <<'PY'
import json, sys
d = [json.load(open(p))["detections"] for p in sys.argv[2:]]
a = [x["agreement"]["map50_95"] for x in d]
b = [x["coco"]["drop_points"] for x in d]
print(f"| {sys.argv[1]} | {a[0]:.3f} / {a[1]:.3f} / {sum(a) / 2:.3f} | {b[0]:.2f} / {b[1]:.2f} / {sum(b) / 2:.2f} |")
PY
done
