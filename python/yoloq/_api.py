"""yoloq's Python API: each function runs the matching subcommand in-process.

Keywords become the subcommand's flags (``calibration_method="max"`` is ``--calibration_method max``),
so names, defaults, checks and error messages are the CLI's, with nothing to keep in step here.
What Python adds: numpy arrays as calibration data without a copy, results as objects and dicts
instead of files, ``yoloq.Error`` and ``KeyboardInterrupt`` instead of exit codes.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _yoloq

PathLike = Union[str, "os.PathLike[str]"]


class Error(ValueError):
    """A yoloq error. The message is the one line the CLI prints after ``yoloq: error:``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


# ModelOpt's quantize() keywords that yoloq does not implement, with the value that asks for
# nothing: given so, they are accepted (scripts written for ModelOpt pass them); given otherwise,
# the CLI answers with what yoloq does instead.
_MODELOPT_NEUTRAL = {
    "log_file": None,
    "trt_plugins": None,
    "trt_plugins_precision": None,
    "mha_accumulation_dtype": "fp16",
    "disable_mha_qdq": False,
    "block_size": None,
    "use_zero_point": False,
    "passes": ["concat_elimination"],
    "simplify": False,
    "calibrate_per_node": False,
    "input_shapes_profile": None,
    "direct_io_types": False,
    "opset": None,
    "autotune": False,
    "intermediate_generated_files": None,
}


def _is_array(value: Any) -> bool:
    return hasattr(value, "__array_interface__") or hasattr(value, "__dlpack__")


def _as_c_array(value: Any) -> Any:
    """The array itself when it is C-contiguous (zero-copy); else a C-ordered copy."""
    import numpy as np

    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _data_arguments(data: Any, flag: str) -> Tuple[List[str], List[Tuple[str, Any]]]:
    """Flags and in-memory arrays for a ``calibration_data``-like argument."""
    if data is None:
        return [], []
    if isinstance(data, (str, os.PathLike)):
        return [flag, os.fspath(data)], []
    if isinstance(data, Mapping):
        arrays = []
        for name, array in data.items():
            if not isinstance(name, str) or not _is_array(array):
                raise Error("calibration_data: a dict must map input names to numpy arrays")
            arrays.append((name, _as_c_array(array)))
        if not arrays:
            raise Error("calibration_data: the dict holds no arrays")
        return [], arrays
    if _is_array(data):
        return [], [("", _as_c_array(data))]
    raise Error(
        "calibration_data: expected a numpy array [N,C,H,W], a dict of arrays by input name, a path "
        f"(.npy, .npz, folder of images) or None, got {type(data).__name__}"
    )


# The CLI's op-type and node lists are one comma-separated value, as ModelOpt's are.
_COMMA_LISTS = ("op_types_to_quantize", "op_types_to_exclude", "nodes_to_quantize", "nodes_to_exclude")


def _join_comma_lists(keywords: Mapping[str, Any]) -> Dict[str, Any]:
    return {key: (",".join(value) or None) if key in _COMMA_LISTS and isinstance(value, (list, tuple)) else value
            for key, value in keywords.items()}


def _flag_arguments(keywords: Mapping[str, Any]) -> List[str]:
    """``key=value`` as the CLI's ``--key value``; None and False are left out, True is a bare flag,
    and a list gives its values after one flag."""
    args: List[str] = []
    for key, value in keywords.items():
        if value is None or value is False:
            continue
        flag = "--" + key
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            if value:
                args += [flag, *[os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in value]]
        elif isinstance(value, os.PathLike):
            args += [flag, os.fspath(value)]
        else:
            args += [flag, str(value)]
    return args


def _run(
    args: Sequence[str], arrays: Sequence[Tuple[str, Any]] = (), verbose: bool = True, capture: bool = True
) -> Tuple[Optional[dict], str]:
    """Runs ``yoloq ARGS`` in-process; returns the command's result (as its --json holds it) and
    what it printed. Raises Error or KeyboardInterrupt."""
    code, error, printed, result, signal = _yoloq.run(["yoloq", *args], list(arrays), capture)
    if capture and verbose and printed:
        sys.stdout.write(printed)
        sys.stdout.flush()
    if signal:
        raise KeyboardInterrupt(error)
    if code not in (0, 3):  # 3: --strict and a verdict other than PASS; the result says which
        raise Error(error, code)
    return (json.loads(result) if result else None), printed


@dataclass(frozen=True)
class QuantizeResult:
    """What ``yoloq.quantize`` wrote and what it found: the same figures as the CLI's summary."""

    output_path: str
    quantize_linear: int
    dequantize_linear: int
    weighted_nodes: int
    weighted_nodes_quantized: int
    kept_float: List[Dict[str, str]]  # node, op_type, rule: what stayed in high precision and why
    verdict: str  # PASS, WARN or FAIL
    verdict_reasons: List[str]
    verification: Optional[Dict[str, Any]]  # None with verify=False
    report: Dict[str, Any]  # the full report, as --report's .json holds it
    summary: str = field(repr=False)  # the text the CLI prints

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"


def quantize(
    onnx_path: PathLike,
    calibration_data: Any = None,
    calibration_method: Optional[str] = None,
    output_path: Optional[PathLike] = None,
    quantize_mode: str = "int8",
    op_types_to_quantize: Optional[Sequence[str]] = None,
    op_types_to_exclude: Optional[Sequence[str]] = None,
    nodes_to_quantize: Optional[Sequence[str]] = None,
    nodes_to_exclude: Optional[Sequence[str]] = None,
    calibration_cache_path: Optional[PathLike] = None,
    calibration_shapes: Optional[str] = None,
    calibration_eps: Optional[Sequence[str]] = None,
    use_external_data_format: bool = False,
    keep_intermediate_files: bool = False,
    high_precision_dtype: Optional[str] = None,
    dq_only: bool = True,
    log_level: Optional[str] = None,
    target: Optional[str] = None,
    yolo_head: Optional[str] = None,
    calibration_size: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    plan: Optional[PathLike] = None,
    report: Optional[PathLike] = None,
    labels: Optional[PathLike] = None,
    max_drop: Optional[float] = None,
    drop_metric: Optional[str] = None,
    bias_correction: bool = False,
    verify: bool = True,
    verbose: bool = True,
    **kwargs: Any,
) -> QuantizeResult:
    """Quantizes a float ONNX model to INT8 Q/DQ, as ``yoloq quantize`` does; ModelOpt's keywords.

    ``calibration_data``: a numpy array [N,C,H,W] (float32; used in place when C-contiguous), a dict
    of such arrays by input name, a path (.npy, .npz, folder of images), or None (seeded random
    data, with a warning). Keywords left at None take the CLI's defaults; any other CLI flag of
    ``yoloq quantize`` may be given as a keyword (``percentile=99.9``, ``min_agreement=0.95``).
    Raises ``yoloq.Error`` with the CLI's message; nothing is written then.
    """
    for key, neutral in _MODELOPT_NEUTRAL.items():
        if key in kwargs and kwargs[key] == neutral:
            del kwargs[key]
    data_args, arrays = _data_arguments(calibration_data, "--calibration_data_path")
    flags = dict(
        onnx_path=onnx_path,
        output_path=output_path,
        quantize_mode=quantize_mode,
        calibration_method=calibration_method,
        op_types_to_quantize=op_types_to_quantize,
        op_types_to_exclude=op_types_to_exclude,
        nodes_to_quantize=nodes_to_quantize,
        nodes_to_exclude=nodes_to_exclude,
        calibration_cache_path=calibration_cache_path,
        calibration_shapes=calibration_shapes,
        calibration_eps=list(calibration_eps) if calibration_eps else None,
        use_external_data_format=use_external_data_format,
        keep_intermediate_files=keep_intermediate_files,
        high_precision_dtype=high_precision_dtype,
        weights_qdq=not dq_only,
        log_level=log_level,
        target=target,
        yolo_head=yolo_head,
        calibration_size=calibration_size,
        seed=seed,
        threads=threads,
        plan=plan,
        report=report,
        labels=labels,
        max_drop=max_drop,
        drop_metric=drop_metric,
        bias_correction="on" if bias_correction else None,
        no_verify=not verify,
        quiet=not verbose,
    )
    flags.update(kwargs)
    result, printed = _run(["quantize", *_flag_arguments(_join_comma_lists(flags)), *data_args], arrays, verbose)
    assert result is not None
    summary, verdict = result["summary"], result["verdict"]
    return QuantizeResult(
        output_path=result["settings"]["output_path"],
        quantize_linear=summary["quantize_linear"],
        dequantize_linear=summary["dequantize_linear"],
        weighted_nodes=summary["weighted_nodes"],
        weighted_nodes_quantized=summary["weighted_nodes_quantized"],
        kept_float=result["plan"]["float_nodes"],
        verdict=verdict["level"],
        verdict_reasons=verdict["reasons"],
        verification=result["verification"],
        report=result,
        summary=printed,
    )


def calibrate(
    onnx_path: PathLike, calibration_data: Any = None, verbose: bool = True, **kwargs: Any
) -> Dict[str, Any]:
    """Calibrates every float activation, as ``yoloq calibrate`` does (it also writes the cache,
    ``calibration_cache_path`` or MODEL.calib.json); returns ``{"method", "tensors": {name: {min,
    max, amax, scale}}}``."""
    data_args, arrays = _data_arguments(calibration_data, "--calibration_data_path")
    args = ["calibrate", os.fspath(onnx_path), *_flag_arguments({**kwargs, "quiet": not verbose}), *data_args]
    result, _ = _run(args, arrays, verbose)
    assert result is not None
    return result


def plan(onnx_path: PathLike, **kwargs: Any) -> Dict[str, Any]:
    """The Q/DQ placement plan as ``yoloq plan`` makes it (``target``, ``yolo_head``,
    ``nodes_to_exclude``, ...), as a dict; with ``output_path`` it is also written there."""
    result, _ = _run(["plan", os.fspath(onnx_path), *_flag_arguments(_join_comma_lists(kwargs))], verbose=False)
    assert result is not None
    return result


def verify(
    float_model: PathLike, quant_model: PathLike, data: Any = None, verbose: bool = True, **kwargs: Any
) -> Dict[str, Any]:
    """Checks a quantized model against its float original, as ``yoloq verify`` does; ``data`` is
    held-out data as for ``calibration_data``. Returns the verification (``--json``'s content)."""
    data_args, arrays = _data_arguments(data, "--data")
    args = ["verify", os.fspath(float_model), os.fspath(quant_model), *_flag_arguments({**kwargs, "quiet": not verbose}), *data_args]
    result, _ = _run(args, arrays, verbose)
    assert result is not None
    return result


def eval(  # noqa: A001
    model: PathLike, images: PathLike, labels: Optional[PathLike] = None, verbose: bool = True, **kwargs: Any
) -> Dict[str, Any]:
    """The model's accuracy as ``yoloq eval`` computes it for its task (box mAP; masks or keypoints of
    segment and pose models under "masks" and "keypoints"; OBB rotated-box mAP; classify top-1/top-5,
    where ``images`` holds one subfolder per class and ``labels`` is not given); returns ``--json``'s
    content."""
    args = ["eval", os.fspath(model), "--images", os.fspath(images)]
    if labels is not None:
        args += ["--labels", os.fspath(labels)]
    result, _ = _run([*args, *_flag_arguments({**kwargs, "quiet": not verbose})], verbose=verbose)
    assert result is not None
    return result


def inspect(model: PathLike) -> Dict[str, Any]:
    """A model as ``yoloq inspect --json`` shows it."""
    result, _ = _run(["inspect", os.fspath(model)], verbose=False)
    assert result is not None
    return result


def main(args: Sequence[str], prefix: Sequence[str] = ()) -> int:
    """``yoloq PREFIX ARGS`` as the CLI runs it: printing straight to stdout, errors as
    ``yoloq: error:`` lines; returns the exit code."""
    code, error, _, _, _ = _yoloq.run(["yoloq", *prefix, *args], [], False)
    if error:
        print(f"yoloq: error: {error}", file=sys.stderr)
    return code
