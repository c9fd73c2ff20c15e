"""The other functions, and bad input through the API: yoloq.Error with the CLI's message."""
import subprocess
from pathlib import Path

import numpy as np
import pytest

import yoloq


def cli_error(cli: Path, *args: str) -> str:
    run = subprocess.run([str(cli), *args], capture_output=True, text=True)
    assert run.returncode != 0
    assert run.stderr.startswith("yoloq: error: ")
    return run.stderr.strip()[len("yoloq: error: "):]


def quantize_error(model: Path, out: Path, **kwargs) -> str:
    with pytest.raises(yoloq.Error) as caught:
        yoloq.quantize(str(model), output_path=str(out), verbose=False, **kwargs)
    assert not out.exists()
    return str(caught.value)


@pytest.mark.parametrize(
    "array",
    [np.zeros((4, 3, 640, 640), np.float16),  # wrong dtype (.npz files cannot hold float64 for yoloq)
     np.zeros((4, 640, 640), np.float32),  # wrong rank
     np.zeros((4, 3, 320, 320), np.float32)],  # wrong size
    ids=["dtype", "rank", "shape"])
def test_a_bad_array_gets_the_message_the_cli_gives_for_it_in_a_npz(tmp_path, cli, model, array):
    npz = tmp_path / "bad.npz"
    np.savez(npz, images=array)
    expected = cli_error(cli, "quantize", "--onnx_path", str(model), "--calibration_data", str(npz), "--output_path",
                         str(tmp_path / "cli.onnx"))
    assert expected.startswith(f"{npz}: ")
    message = quantize_error(model, tmp_path / "q.onnx", calibration_data=array)
    assert message == "calibration_data: " + expected[len(f"{npz}: "):]


def test_a_float64_array_is_refused_not_converted(tmp_path, model):
    message = quantize_error(model, tmp_path / "q.onnx", calibration_data=np.zeros((4, 3, 640, 640)))
    assert message == "calibration_data: array 'images' is float64, expected float32"


def test_a_dict_without_the_input_name(tmp_path, cli, model):
    npz = tmp_path / "bad.npz"
    np.savez(npz, pixels=np.zeros((4, 3, 640, 640), np.float32))
    expected = cli_error(cli, "quantize", "--onnx_path", str(model), "--calibration_data", str(npz))
    message = quantize_error(model, tmp_path / "q.onnx",
                             calibration_data={"pixels": np.zeros((4, 3, 640, 640), np.float32)})
    assert message == "calibration_data: " + expected[len(f"{npz}: "):]
    assert message == "calibration_data: array 'pixels' is not an input of the model (inputs: 'images')"


def test_unknown_keyword_and_output_over_input(tmp_path, cli, model):
    assert quantize_error(model, tmp_path / "q.onnx", no_such_keyword=1) == cli_error(
        cli, "quantize", "--onnx_path", str(model), "--no_such_keyword", "1")
    with pytest.raises(yoloq.Error) as caught:
        yoloq.quantize(str(model), output_path=str(model), verbose=False)
    assert str(caught.value) == cli_error(cli, "quantize", "--onnx_path", str(model), "--output_path", str(model))
    assert isinstance(caught.value, ValueError) and caught.value.exit_code == 1


def test_modelopt_keywords_left_at_their_defaults_are_accepted_and_others_answered(tmp_path, cli, model):
    out = tmp_path / "q.onnx"
    yoloq.quantize(str(model), output_path=str(out), simplify=False, passes=["concat_elimination"],
                   use_zero_point=False, trt_plugins=None, verify=False, verbose=False)
    assert out.is_file()
    assert quantize_error(model, tmp_path / "s.onnx", simplify=True) == cli_error(
        cli, "quantize", "--onnx_path", str(model), "--simplify")


def test_calibration_data_of_another_kind(tmp_path, model):
    assert quantize_error(model, tmp_path / "q.onnx", calibration_data=[1, 2]).startswith(
        "calibration_data: expected a numpy array")


def test_calibrate_returns_the_ranges_it_writes(tmp_path, model, calib_array):
    cache = tmp_path / "ranges.json"
    ranges = yoloq.calibrate(str(model), calibration_data=calib_array[:4], calibration_method="max",
                             calibration_cache_path=str(cache), verbose=False)
    assert ranges["method"] == "max"
    written = yoloq.calibrate(str(model), calibration_data=calib_array[:4], calibration_method="max",
                              calibration_cache_path=str(tmp_path / "again.json"), verbose=False)
    assert written == ranges
    images = ranges["tensors"]["images"]  # the letterboxed input: pixels in [0, 1], grey padding
    assert images["min"] == 0.0 and images["max"] <= 1.0 and images["amax"] == images["max"]
    assert images["scale"] == pytest.approx(images["amax"] / 127, rel=1e-6)
    assert len(ranges["tensors"]) > 200 and cache.is_file()


def test_plan_verify_eval_inspect(tmp_path, data_dir, model, calib_array):
    plan = yoloq.plan(str(model), target="ort-cpu", nodes_to_exclude=["/model.0/conv/Conv"])
    assert plan["target"] == "ort-cpu" and plan["activation_type"] == "uint8"
    assert any(f["node"] == "/model.0/conv/Conv" for f in plan["float_nodes"])
    out = tmp_path / "q.onnx"
    yoloq.quantize(str(model), calibration_data=calib_array[:16], output_path=str(out), verify=False, verbose=False)
    verification = yoloq.verify(str(model), str(out), data=calib_array[16:], speed_runs=0, verbose=False)
    assert verification["samples"] == 16
    assert verification["verdict"]["level"] in ("PASS", "WARN", "FAIL")
    info = yoloq.inspect(str(out))
    assert info["qdq"]["quantize_linear"] == 112  # the default trt placement of YOLO11n
    metrics = yoloq.eval(str(model), data_dir / "coco128" / "images", data_dir / "coco128" / "labels", verbose=False)
    assert metrics["images"] == 126
    assert metrics["map50_95"] == pytest.approx(0.498, abs=0.002)  # README: the float model on coco128
