#!/usr/bin/env python3
"""The ONNX Runtime peer: onnxruntime.quantization.quantize_static as its docs recommend for QDQ.

    ort_quantize.py --onnx_path M --calibration_data_path calib.npy --output_path OUT
                    --method minmax|entropy [--activations s8|u8]

QDQ format, INT8 (S8) weights per channel, symmetric; INT8 (S8) activations with ORT's default
asymmetric ranges, or with `--activations u8` UINT8 (U8S8, ORT's recommendation for x86, where
its QDQ transformer fuses Conv and MatMul only with UINT8 activations); every op type ORT
quantizes; no nodes excluded. The calibration tensor is
read and fed one image at a time (batch 1, the model's input shape).
quantize_static keeps every calibration output in memory until it computes the ranges; that is
ORT's own behaviour and part of what is measured (--max_intermediate_outputs bounds it for
MinMax, ORT's CalibMaxIntermediateOutputs option, off by default).

Workaround: quantize_static writes a shape-inferred copy of its input beside the input
(`<name>-inferred.onnx`, quant_utils.load_model_with_shape_infer) and fails when that folder is
read-only, as shared/data is. So the model is copied to a temporary folder first (time included).
"""
import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)


class NpyReader(CalibrationDataReader):
    """One image at a time, read from the file at its offset: no memory map, so the pages of
    the whole tensor are not counted in this process's RSS (a 504-image tensor is 2.5 GB)."""

    def __init__(self, path, input_name):
        m = np.load(path, mmap_mode="r")  # for the header only: shape, dtype, data offset
        if not m.flags.c_contiguous or m.dtype != np.float32 or m.ndim != 4:
            sys.exit(f"ort_quantize.py: {path}: expected a C-order float32 [N,C,H,W] array")
        self.shape, self.offset = m.shape, m.offset
        del m
        self.f = open(path, "rb")
        self.count = int(np.prod(self.shape[1:]))
        self.input_name = input_name
        self.i = 0

    def get_next(self):
        if self.i >= self.shape[0]:
            return None
        self.f.seek(self.offset + self.i * self.count * 4)
        x = np.fromfile(self.f, dtype=np.float32, count=self.count).reshape((1,) + self.shape[1:])
        self.i += 1
        return {self.input_name: x}

    def rewind(self):
        self.i = 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onnx_path", required=True)
    ap.add_argument("--calibration_data_path", required=True)
    ap.add_argument("--output_path", required=True)
    ap.add_argument("--method", choices=["minmax", "entropy"], default="minmax")
    ap.add_argument("--activations", choices=["s8", "u8"], default="s8")
    ap.add_argument("--max_intermediate_outputs", type=int, default=0)
    args = ap.parse_args()

    model = onnx.load(args.onnx_path, load_external_data=False)
    init_names = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in init_names]
    if len(inputs) != 1:
        sys.exit(f"ort_quantize.py: expected one graph input, found {inputs}")
    del model

    extra = {"WeightSymmetric": True, "ActivationSymmetric": False}
    if args.max_intermediate_outputs:
        extra["CalibMaxIntermediateOutputs"] = args.max_intermediate_outputs
    tmp = tempfile.mkdtemp(prefix="ort_quantize_")
    model_path = os.path.join(tmp, os.path.basename(args.onnx_path))
    shutil.copyfile(args.onnx_path, model_path)
    try:
        run(args, model_path, inputs[0], extra)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def run(args, model_path, input_name, extra):
    method = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy}[args.method]
    quantize_static(
        model_path,
        args.output_path,
        NpyReader(args.calibration_data_path, input_name),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type={"s8": QuantType.QInt8, "u8": QuantType.QUInt8}[args.activations],
        weight_type=QuantType.QInt8,
        calibrate_method=method,
        calibration_providers=["CPUExecutionProvider"],
        extra_options=extra,
    )


if __name__ == "__main__":
    sys.exit(main())
