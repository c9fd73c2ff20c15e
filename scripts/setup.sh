#!/usr/bin/env bash
# The one set-up command for a fresh Debian 12 machine (run as root): installs the build's
# Debian packages, provides ONNX Runtime, then configures and builds Release into build/.
# Re-running it when everything is present takes seconds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Pinned ONNX Runtime: the official libonnxruntime.so.1 shipped in the npm package
# onnxruntime-node, and the C/C++ headers from Debian 13's libonnxruntime-dev (the C API is
# versioned, so older headers work with the newer library).
ORT_NPM_VERSION=1.30.0
ORT_NPM_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
ORT_DEB=libonnxruntime-dev_1.21.0+dfsg-1_amd64.deb
ORT_DEB_SHA256=14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08
ORT_DIR="$root/third_party/onnxruntime"

packages=(build-essential cmake ninja-build pkg-config git curl ca-certificates
  libonnx-dev libprotobuf-dev protobuf-compiler
  libopencv-imgcodecs-dev libopencv-imgproc-dev libzip-dev
  libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-venv python3-dev  # python3-dev: the Python package (python/) builds against it
  clang libclang-rt-14-dev)  # libFuzzer for fuzz/run.sh, which .ci/run runs

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches ONNX Runtime; a machine with its own Node.js keeps it, others get Debian's.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "setup: error: apt-get update failed" >&2; exit 1; }
  apt-get install -y -qq "${missing[@]}" >/dev/null || { echo "setup: error: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
fi

check_sha256() { # file expected what
  local got; got="$(sha256sum "$1" | cut -d' ' -f1)"
  [[ "$got" == "$2" ]] || { echo "setup: error: $3: sha256 $got, expected $2" >&2; exit 1; }
}

have_system_ort() {
  [[ -f /usr/include/onnxruntime/onnxruntime_cxx_api.h ]] && ls /usr/lib/*/libonnxruntime.so >/dev/null 2>&1
}

if ! have_system_ort && [[ ! -f "$ORT_DIR/.complete-$ORT_NPM_VERSION" ]]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  echo "setup: fetching onnxruntime-node@$ORT_NPM_VERSION (npm) for libonnxruntime.so.1"
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_NPM_VERSION" >/dev/null) \
    || { echo "setup: error: download of npm package onnxruntime-node@$ORT_NPM_VERSION failed" >&2; exit 1; }
  check_sha256 "$tmp/onnxruntime-node-$ORT_NPM_VERSION.tgz" "$ORT_NPM_SHA256" "onnxruntime-node-$ORT_NPM_VERSION.tgz"
  tar -xzf "$tmp/onnxruntime-node-$ORT_NPM_VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1

  echo "setup: fetching $ORT_DEB (Debian 13) for the ONNX Runtime headers"
  # A private apt root with trixie's list: the system's sources stay untouched.
  aroot="$tmp/apt"
  mkdir -p "$aroot/etc/apt/sources.list.d" "$aroot/etc/apt/preferences.d" "$aroot/var/lib/apt/lists/partial" \
    "$aroot/var/cache/apt/archives/partial" "$aroot/var/lib/dpkg"
  touch "$aroot/var/lib/dpkg/status"
  echo "deb http://deb.debian.org/debian trixie main" >"$aroot/etc/apt/sources.list"
  aopts=(-o "Dir=$aroot" -o "Dir::State::status=$aroot/var/lib/dpkg/status"
    -o Dir::Etc::trusted=/etc/apt/trusted.gpg -o Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d
    -o APT::Sandbox::User=root)
  apt-get "${aopts[@]}" update -qq >/dev/null 2>&1 || { echo "setup: error: could not read Debian 13 package lists" >&2; exit 1; }
  (cd "$tmp" && apt-get "${aopts[@]}" download libonnxruntime-dev=1.21.0+dfsg-1 >/dev/null 2>&1) \
    || { echo "setup: error: download of $ORT_DEB failed" >&2; exit 1; }
  check_sha256 "$tmp/$ORT_DEB" "$ORT_DEB_SHA256" "$ORT_DEB"
  dpkg -x "$tmp/$ORT_DEB" "$tmp/deb"

  rm -rf "$ORT_DIR"; mkdir -p "$ORT_DIR/lib" "$ORT_DIR/include"
  cp -r "$tmp/deb/usr/include/onnxruntime/." "$ORT_DIR/include/"
  cp "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ORT_DIR/lib/"
  ln -sf libonnxruntime.so.1 "$ORT_DIR/lib/libonnxruntime.so"
  touch "$ORT_DIR/.complete-$ORT_NPM_VERSION"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
echo "setup: done; the CLI is build/yoloq"
