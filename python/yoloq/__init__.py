"""yoloq: post-training INT8 quantization of YOLO ONNX models, with NVIDIA ModelOpt's API.

``yoloq.quantize(onnx_path, calibration_data=array, ...)`` takes the keywords of
``modelopt.onnx.quantization.quantize``; ``python -m yoloq.onnx.quantization`` takes ModelOpt's
module command line. See docs/python.md.
"""
from ._api import Error, QuantizeResult, calibrate, eval, inspect, plan, quantize, verify
from ._yoloq import version as _version

__version__ = _version()
__all__ = ["Error", "QuantizeResult", "quantize", "calibrate", "plan", "verify", "eval", "inspect"]
