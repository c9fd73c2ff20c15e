#!/usr/bin/env bash
# The test command: builds what changed and runs every test with CTest. Tests that need the
# real data in ../shared/data (or $YOLOQ_DATA) carry "RealData" in their names.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cmake --build build
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
