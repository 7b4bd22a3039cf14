"""Shared fixtures: real images from ../shared/data (skipped with a reason when absent)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test images not found at {SHARED_DATA} (the project's shared/ folder is absent)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def f16_32(shared_data):
    """The DIP F-16 photo, resized to 32×32×3 float32 in [0, 1]."""
    img = Image.open(shared_data / "dip" / "denoising_F16_GT.png").convert("RGB").resize((32, 32), Image.LANCZOS)
    return np.asarray(img, np.float32) / 255.0
