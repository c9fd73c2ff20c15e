"""``python -m yoloq.onnx.quantization --onnx_path=...``: ModelOpt's module command line, run as
``yoloq quantize`` (which takes ModelOpt's flag names)."""
import sys

from ..._api import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prefix=["quantize"]))
