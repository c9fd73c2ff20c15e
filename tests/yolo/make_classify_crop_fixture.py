"""Writes the classify-preprocessing fixtures of classify_crop_test.cpp with Ultralytics' own
classify_transforms (PIL + torchvision), so the C++ port is checked bit for bit against it.

Run with the reference-export venv: bench/exports/.venv/bin/python tests/yolo/make_classify_crop_fixture.py
"""
from pathlib import Path

import numpy as np
from PIL import Image
from ultralytics.data.augment import classify_transforms

out = Path(__file__).parent / "data"
rng = np.random.default_rng(0)
# Downscale (37x53 to short side 16, crop 16x16) and upscale (5x3 to 8x13, crop 8x8).
for name, shape, size in (("down", (37, 53, 3), 16), ("up", (5, 3, 3), 8)):
    rgb = rng.integers(0, 256, shape, dtype=np.uint8)
    np.save(out / f"classify_{name}_rgb.npy", rgb)
    np.save(out / f"classify_{name}_expected.npy", classify_transforms(size)(Image.fromarray(rgb)).numpy()[None])
