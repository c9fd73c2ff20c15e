"""yoloq.quantize and the command lines, on the shared YOLO11n and 32 coco128 images."""
import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import yoloq


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_array_writes_the_same_bytes_as_the_cli_with_the_npy(tmp_path, capsys, cli, model, calib_npy, calib_array):
    # ModelOpt's call with a numpy array, and the CLI with the same array saved as .npy.
    cli_out, py_out = tmp_path / "cli.onnx", tmp_path / "py.onnx"
    subprocess.run([str(cli), "quantize", "--onnx_path", str(model), "--calibration_data", str(calib_npy),
                    "--calibration_method", "max", "--output_path", str(cli_out), "--quiet"], check=True,
                   capture_output=True)
    result = yoloq.quantize(onnx_path=str(model), calibration_data=calib_array, calibration_method="max",
                            output_path=str(py_out), quantize_mode="int8", verbose=False)
    assert sha256(py_out) == sha256(cli_out)
    assert result.output_path == str(py_out)
    # The counts the CLI prints for this model and target (README): 112 Q + 193 DQ, 83 of 90 convs.
    assert (result.quantize_linear, result.dequantize_linear) == (112, 193)
    assert (result.weighted_nodes_quantized, result.weighted_nodes) == (83, 90)
    assert {f["op_type"] for f in result.kept_float} == {"Add", "Concat", "Conv"}
    assert all(f["rule"].startswith("yolo-head.") for f in result.kept_float)
    assert result.verdict in ("PASS", "WARN", "FAIL") and result.verdict_reasons
    assert result.verification["samples"] == 4  # the held-out eighth of 32
    assert result.report["settings"]["calibration_method"] == "max"
    # verbose=False prints nothing; the summary the CLI would print is kept.
    assert capsys.readouterr().out == ""
    assert result.summary.startswith(f"wrote {py_out}\n  target trt, yolo head float, calibration max on 28 samples")


def test_array_is_read_in_place_and_left_unchanged(tmp_path, model, calib_array):
    before = calib_array.copy()
    yoloq.quantize(str(model), calibration_data=calib_array[:8], calibration_method="max",
                   output_path=str(tmp_path / "q.onnx"), verify=False, verbose=False)
    assert np.array_equal(calib_array, before)


def test_non_contiguous_array_gives_the_same_model_as_its_contiguous_copy(tmp_path, model, calib_array):
    strided = np.asfortranarray(calib_array[:8])
    assert not strided.flags.c_contiguous
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    yoloq.quantize(str(model), calibration_data=strided, calibration_method="max", output_path=str(a),
                   verify=False, verbose=False)
    yoloq.quantize(str(model), calibration_data={"images": np.ascontiguousarray(calib_array[:8])},
                   calibration_method="max", output_path=str(b), verify=False, verbose=False)
    assert sha256(a) == sha256(b)


def test_modelopt_module_command_line_runs_with_one_warning_for_cuda(tmp_path, model, calib_npy):
    out = tmp_path / "m.quant.onnx"
    run = subprocess.run([sys.executable, "-m", "yoloq.onnx.quantization", f"--onnx_path={model}",
                          "--quantize_mode=int8", f"--calibration_data={calib_npy}", "--calibration_method=max",
                          f"--output_path={out}", "--calibration_eps", "cuda:0 cpu"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.is_file()
    warnings = [line for line in run.stderr.splitlines() if line.startswith("yoloq: warning:")]
    assert len(warnings) == 1 and "cuda" in warnings[0].lower(), run.stderr
    assert f"wrote {out}" in run.stdout


def test_python_m_yoloq_takes_the_cli_flags_and_exit_codes(tmp_path, model):
    run = subprocess.run([sys.executable, "-m", "yoloq", "inspect", str(model)], capture_output=True, text=True)
    assert run.returncode == 0 and "output: output0 float32 [1x84x8400]" in run.stdout
    run = subprocess.run([sys.executable, "-m", "yoloq", "quantize", "--onnx_path", str(model), "--no_such_flag"],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip() == "yoloq: error: The following argument was not expected: --no_such_flag"


def test_verbose_false_prints_nothing_not_even_progress(tmp_path, model, calib_npy):
    script = (f"import yoloq; yoloq.quantize({str(model)!r}, calibration_data={str(calib_npy)!r}, "
              f"output_path={str(tmp_path / 'q.onnx')!r}, verbose=False)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert run.returncode == 0, run.stderr
    assert (run.stdout, run.stderr) == ("", "")
    assert (tmp_path / "q.onnx").is_file()


def test_the_gil_is_released_while_quantizing(tmp_path, model, calib_array):
    ticks = 0
    done = threading.Event()

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.perf_counter()
    try:
        yoloq.quantize(str(model), calibration_data=calib_array[:8], output_path=str(tmp_path / "q.onnx"),
                       verify=False, verbose=False)
    finally:
        done.set()
        counter.join()
    seconds = time.perf_counter() - start
    # Holding the GIL would leave the counter at a handful of ticks; released, it ticks about
    # every millisecond (sleep granularity on a loaded machine makes it fewer, never ~0).
    assert seconds > 0.3 and ticks > 50 * seconds, (ticks, seconds)


def test_ctrl_c_raises_keyboard_interrupt_and_leaves_no_file(tmp_path, model, calib_npy):
    out = tmp_path / "q.onnx"
    script = f"""
import numpy as np, yoloq
try:
    yoloq.quantize({str(model)!r}, calibration_data=np.load({str(calib_npy)!r}), output_path={str(out)!r},
                   verbose=True)
except KeyboardInterrupt as e:
    print("KeyboardInterrupt:", e)
    raise SystemExit(130)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    # Interrupt once calibration has started (its progress line is on stderr).
    line = ""
    while "calibrating" not in line:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, "the run ended before calibrating"
    proc.send_signal(2)  # SIGINT, as Ctrl-C sends
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "KeyboardInterrupt: interrupted by SIGINT; no output was written" in stdout
    assert list(tmp_path.iterdir()) == []
