"""``modelopt.onnx.quantization``'s place: ``from yoloq.onnx.quantization import quantize``."""
from ..._api import quantize

__all__ = ["quantize"]
