#!/usr/bin/env bash
# Reference ONNX exports of the Ultralytics models (random weights, from the model yaml files) and
# their summary: bench/results/exports.md and bench/results/exports.json. See README.md here.
#   bench/exports/export.sh [OUT_DIR]        (default /work/exports: .onnx files stay out of git)
# Environment: YOLOQ_EXPORTS_VENV (default bench/exports/.venv), PYTHON (python3, makes the venv).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${YOLOQ_EXPORTS_VENV:-$here/.venv}"
out="${1:-/work/exports}"

# (Re)create the venv when it is missing or requirements.txt changed since it was installed.
if [[ ! -x "$venv/bin/python" || ! -f "$venv/.installed" ]] ||
   ! cmp -s "$here/requirements.txt" "$venv/.installed"; then
  echo "[exports] installing $venv from requirements.txt (torch and its linked CUDA libraries:" \
       "~3 GB to download)" >&2
  start=$SECONDS
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  # --no-deps: requirements.txt pins the whole environment and leaves out the CUDA packages that
  # torch names but a CPU export never loads (see its header).
  "$venv/bin/pip" install --quiet --no-deps -r "$here/requirements.txt"
  "$venv/bin/python" -c "import torch, torchvision, ultralytics, onnx, onnxslim, onnxruntime"
  cp "$here/requirements.txt" "$venv/.installed"
  echo "[exports] installed in $((SECONDS - start)) s" >&2
fi

# export.py itself sets the offline and CPU-only environment for Ultralytics.
# Repeatable files: the value_info that onnxslim's symbolic shape inference writes into the dynamic
# export depends on Python's string hashing; without a fixed seed it changes from run to run.
export PYTHONHASHSEED=0

# Two exports in two processes: the second (into a scratch folder) tells whether the exports are
# repeatable with the same seeds (the export date in the metadata aside); summarize.py compares them.
rerun="$(mktemp -d)"
trap 'rm -rf "$rerun"' EXIT
status=0
start=$SECONDS
"$venv/bin/python" "$here/export.py" "$out" || status=$?
echo "[exports] first export run: $((SECONDS - start)) s" >&2
start=$SECONDS
"$venv/bin/python" "$here/export.py" "$rerun" || status=$?
echo "[exports] second export run: $((SECONDS - start)) s" >&2

"$venv/bin/python" "$here/summarize.py" "$out" --rerun "$rerun" \
  --md "$repo/bench/results/exports.md" --json "$repo/bench/results/exports.json"
exit $status
