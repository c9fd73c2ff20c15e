#!/usr/bin/env bash
# The peers side by side: ModelOpt, ONNX Runtime's quantize_static and yoloq on the same models and
# calibration tensors. Writes bench/results/peers.md and bench/results/peers.json.
# See bench/README.md for what it measures and the knobs (environment variables):
#   YOLOQ (default: build/yoloq of this repo)  WORKLOADS (n128,n512,s128,m128)  REPEATS (3)
#   REPEATS_512 (1)  BUDGET_S (1800)  FULL (0)  RSS_CAP_MB (16000)  LATENCY_RUNS (30)  NO_EVAL (0)
#   NOTE (a line for the results)  smoke runs only: CALIB_IMAGES (0 = all)  EVAL_IMAGES (0 = all)
#   YOLOQ_DATA (default: ../shared/data beside the repo)  PYTHON (python3, to make the venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
export YOLOQ="${YOLOQ:-$repo/build/yoloq}"
export YOLOQ_DATA="${YOLOQ_DATA:-$repo/../shared/data}"

if [[ ! -x "$venv/bin/python" || ! -f "$venv/.installed" ]] ||
   ! cmp -s "$here/requirements.txt" "$venv/.installed"; then
  echo "[peers] setting up $venv from requirements.txt (ModelOpt pulls torch and its CUDA" \
       "libraries: several GB, a few minutes)" >&2
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  # --no-deps: requirements.txt pins every package of the environment (see its header for why
  # the ONNX extra of nvidia-modelopt is spelled out instead of installed).
  "$venv/bin/pip" install --quiet --no-deps -r "$here/requirements.txt"
  "$venv/bin/python" -c "import modelopt.onnx.quantization, onnxruntime.quantization, psutil"
  cp "$here/requirements.txt" "$venv/.installed"
fi

if [[ ! -x "$YOLOQ" ]]; then
  echo "[peers] no yoloq binary at $YOLOQ (build it with scripts/setup.sh or set YOLOQ):" \
       "the yoloq rows and mAP will be missing" >&2
fi
[[ -d "$YOLOQ_DATA/coco128" ]] || { echo "[peers] no data at $YOLOQ_DATA (set YOLOQ_DATA)" >&2; exit 1; }

# CPU only: no GPU here, and none should be picked up where there is one.
export CUDA_VISIBLE_DEVICES=""
exec "$venv/bin/python" "$here/bench.py" "$@"
