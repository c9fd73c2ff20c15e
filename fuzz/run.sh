#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs one of them, or all in turn:
#   fuzz/run.sh TARGET SECONDS      TARGET: npy npz onnx trt_cache plan (or "all")
# The build is build-fuzz/ (only the fuzzers), or YOLOQ_FUZZ_BUILD (scripts/sanitize.sh's
# build-asan/, which has them too). Starts from the checked-in seeds in fuzz/corpus/TARGET/; what
# the fuzzer adds goes to BUILD/corpus/TARGET/ (never into the checked-in folder), crashes to
# BUILD/findings/.
# Runs at the lowest priority: the machine is shared.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
targets=(npy npz onnx trt_cache plan)
if (($# != 2)); then echo "usage: fuzz/run.sh TARGET|all SECONDS (targets: ${targets[*]})" >&2; exit 2; fi
target="$1" seconds="$2"
[[ "$target" == all ]] && run=("${targets[@]}") || run=("$target")
for t in "${run[@]}"; do
  [[ -d "fuzz/corpus/$t" ]] || { echo "fuzz/run.sh: unknown target '$t' (targets: ${targets[*]})" >&2; exit 2; }
done
command -v clang++ >/dev/null || { echo "fuzz/run.sh: clang++ is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

ort=()
[[ -n "${YOLOQ_ORT_ROOT:-}" ]] && ort=(-DYOLOQ_ORT_ROOT="$YOLOQ_ORT_ROOT")
build="${YOLOQ_FUZZ_BUILD:-build-fuzz}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DYOLOQ_FUZZ=ON -DYOLOQ_TESTS=OFF "${ort[@]}" >/dev/null
fi
nice -n 19 cmake --build "$build" -j "${YOLOQ_JOBS:-2}" --target "${run[@]/#/fuzz_}"

status=0
for t in "${run[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/findings/$t"
  log="$build/fuzz_$t.log"
  echo "fuzz: $t for $seconds s (log $log)"
  # -rss_limit_mb bounds what a forged size could make a reader allocate.
  if ! nice -n 19 "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/findings/$t/" "$build/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz: $t FAILED; the report:" >&2
    grep -A30 -m1 "ERROR\|runtime error\|uncaught\|deadly signal" "$log" >&2 || tail -40 "$log" >&2
    status=1
  fi
  grep -h "stat::number_of_executed_units\|Done [0-9]* runs" "$log" | sed "s/^/fuzz: $t: /" || true
done
exit $status
