"""Where the tests find the shared model and images, and the CLI they compare against."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ.get("YOLOQ_DATA", REPO.parent / "shared" / "data"))
    if not (path / "models" / "yolo11n-coco-640.onnx").is_file():
        pytest.skip(f"no shared data in {path} (set YOLOQ_DATA)")
    return path


@pytest.fixture(scope="session")
def model(data_dir: Path) -> Path:
    return data_dir / "models" / "yolo11n-coco-640.onnx"


@pytest.fixture(scope="session")
def cli() -> Path:
    path = Path(os.environ.get("YOLOQ_CLI", REPO / "build" / "yoloq"))
    if not path.is_file():
        pytest.skip(f"no yoloq CLI at {path} (set YOLOQ_CLI)")
    return path


@pytest.fixture(scope="session")
def calib_npy(tmp_path_factory, cli: Path, data_dir: Path, model: Path) -> Path:
    """32 coco128 images letterboxed as the CLI does it: [32, 3, 640, 640] float32."""
    path = tmp_path_factory.mktemp("calib") / "calib.npy"
    subprocess.run([str(cli), "calib-data", str(data_dir / "coco128" / "images"), "-o", str(path), "--model",
                    str(model), "--calibration_size", "32", "--quiet"], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def calib_array(calib_npy: Path) -> np.ndarray:
    return np.load(calib_npy)
