#!/usr/bin/env bash
# The CMake package, as a user gets it: installs build/ into a temporary prefix, configures and
# builds examples/cpp against that prefix alone (find_package(yoloq), yoloq::yoloq) in a separate
# build folder, and runs it on a small model that the installed CLI synthesizes, so no shared data
# is needed. Exits non-zero on any failure; removes everything it made. .ci/run runs it after
# scripts/test.sh (which builds build/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix" example="$tmp/example" log="$tmp/log"
fail() {
  echo "install_test: error: $*" >&2
  [[ -s "$log" ]] && tail -n 40 "$log" >&2
  exit 1
}
run() { "$@" >>"$log" 2>&1 || fail "failed: $*"; }

[[ -f build/build.ninja || -f build/Makefile ]] || fail "build/ is not configured: run scripts/setup.sh"
run cmake --build build
run cmake --install build --prefix "$prefix"
for f in bin/yoloq lib/cmake/yoloq/yoloqConfig.cmake lib/cmake/yoloq/yoloqConfigVersion.cmake \
  lib/cmake/yoloq/yoloqTargets.cmake lib/libyoloq_pipeline.a include/yoloq/pipeline/quantize.hpp; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $f"
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
run cmake -S examples/cpp -B "$example" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
found="$(sed -n 's/^yoloq_DIR:PATH=//p' "$example/CMakeCache.txt")"
[[ "$found" == "$prefix/lib/cmake/yoloq" ]] || fail "examples/cpp found yoloq in '$found', not in the installed prefix"
run cmake --build "$example"
# The consumer must need nothing from the source tree.
if grep -rqF -e "$root/include" -e "$root/src" -e "$root/third_party" "$example/build.ninja" "$example/Makefile" \
  "$example/CMakeFiles" 2>/dev/null; then
  fail "examples/cpp's build refers to the source tree $root"
fi

run "$prefix/bin/yoloq" synth --arch yolo11n --imgsz 320 -o "$tmp/m.onnx"
run "$example/quantize_model" "$tmp/m.onnx" "$tmp/m.int8.onnx"
[[ -s "$tmp/m.int8.onnx" ]] || fail "examples/cpp wrote no model"
"$prefix/bin/yoloq" inspect "$tmp/m.int8.onnx" >"$tmp/inspect" 2>>"$log" || fail "the installed CLI cannot read the model examples/cpp wrote"
grep -q '^Q/DQ: [1-9][0-9]* QuantizeLinear' "$tmp/inspect" || fail "the model examples/cpp wrote has no QuantizeLinear: $(grep '^Q/DQ' "$tmp/inspect")"
if [[ -f "$prefix/lib/libonnxruntime.so.1" ]]; then
  # grep reads all of ldd's output (no -q): exiting at the first match could kill ldd with SIGPIPE,
  # which pipefail turns into a failure.
  ldd "$example/quantize_model" | grep -F "$prefix/lib/libonnxruntime.so.1" >/dev/null \
    || fail "examples/cpp does not load the ONNX Runtime installed with yoloq"
fi

echo "install_test: ok: cmake --install put the library, headers, CLI and yoloqConfig.cmake in a temporary prefix; examples/cpp found yoloq::yoloq there, built without the source tree, and quantized a synthesized yolo11n 320 ($(sed -n 's/^Q\/DQ: \([0-9]*\) QuantizeLinear, \([0-9]*\) DequantizeLinear.*/\1 Q + \2 DQ/p' "$tmp/inspect")) (${SECONDS} s)"
