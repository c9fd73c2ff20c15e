#!/usr/bin/env bash
# The Python package's tests, after scripts/setup.sh and scripts/test.sh (whose CLI, build/yoloq,
# the tests compare against): builds the wheel of python/ (python/build keeps its CMake build
# between runs), installs it in a fresh venv with pinned numpy and pytest, and runs python/tests
# there. Arguments are passed to pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/build/python-venv"
dist="$root/build/python-dist"
rm -rf "$venv" "$dist"
python3 -m venv "$venv"
"$venv/bin/pip" wheel -q --no-deps "$root/python" -w "$dist"
"$venv/bin/pip" install -q "$dist"/yoloq-*.whl numpy==2.4.6 pytest==9.2.0
# Run from build/ so that `import yoloq` is the installed wheel, not the sources in python/yoloq.
cd "$root/build"
YOLOQ_CLI="$root/build/yoloq" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests" "$@"
