"""Mirrors ``modelopt.onnx``: ``yoloq.onnx.quantization`` is where ModelOpt users look."""
