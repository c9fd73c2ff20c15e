#!/usr/bin/env bash
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer, in build-asan/: one
# clang build (YOLOQ_FUZZ) that also holds the libFuzzer targets, so CI instruments the library
# once for both (YOLOQ_FUZZ_BUILD=build-asan fuzz/run.sh all 30 then fuzzes without building).
# The RealData tests are left out by default: under ASan they take longer than the rest of CI
# together; arguments replace the default ctest filter (e.g. scripts/sanitize.sh -R Matrix).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v clang++ >/dev/null || { echo "sanitize: clang++ is needed (scripts/setup.sh installs it)" >&2; exit 1; }
ort=()
[[ -n "${YOLOQ_ORT_ROOT:-}" ]] && ort=(-DYOLOQ_ORT_ROOT="$YOLOQ_ORT_ROOT")
if [[ ! -f build-asan/build.ninja ]]; then
  # -O1: a fraction of -O2's compile time, and what the sanitizers' documentation recommends.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_CXX_COMPILER=clang++ -DYOLOQ_FUZZ=ON -DYOLOQ_TESTS=ON "${ort[@]}" >/dev/null
fi
cmake --build build-asan -j "${YOLOQ_JOBS:-$(nproc)}"
# ONNX Runtime, OpenCV and protobuf are not instrumented; their one-time allocations at exit are
# not ours to report (detect_leaks stays on for yoloq's own code through the suppressions).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if (($#)); then filter=("$@"); else filter=(-E RealData); fi
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" "${filter[@]}"
