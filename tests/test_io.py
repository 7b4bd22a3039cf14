"""Tests for jaxreg.io: round trips, atomic writes and error messages."""

import os
import warnings

import numpy as np
import pytest
from PIL import Image

from jaxreg.io import imread, imwrite


def _ramp(h=24, w=32, c=3, seed=0):
    """A smooth float32 image in [0, 1] with a little texture."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = (0.5 + 0.4 * np.sin(xx / 5.0) * np.cos(yy / 7.0))[:, :, None]
    img = base + 0.05 * rng.standard_normal((h, w, c)).astype(np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _psnr(a, b):
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 10 * np.log10(1.0 / mse)


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("c", [1, 3])
def test_8bit_roundtrip(tmp_path, ext, c):
    img = _ramp(c=c)
    p = tmp_path / f"img{ext}"
    imwrite(p, img)
    out = imread(p)
    assert out.dtype == np.float32 and out.shape == img.shape
    np.testing.assert_allclose(np.asarray(out), img, atol=0.5 / 255 + 1e-6)
    # stored as 8 bit: exactly representable values
    np.testing.assert_array_equal(np.asarray(out) * 255, np.round(np.asarray(out) * 255))


@pytest.mark.parametrize("ext", [".png", ".tiff"])
def test_16bit_gray_roundtrip(tmp_path, ext):
    img = _ramp(c=1)
    p = tmp_path / f"img16{ext}"
    imwrite(p, img, bit_depth=16)
    with Image.open(p) as im:
        assert im.mode.startswith("I;16")
    out = np.asarray(imread(p))
    assert out.shape == img.shape and out.dtype == np.float32
    err = np.abs(out - img).max()
    assert err <= 0.5 / 65535 + 1e-6
    assert err < 0.5 / 255 / 10  # genuinely better than 8 bit


def test_gray_2d_input_gives_channel_axis(tmp_path):
    img = _ramp(c=1)[:, :, 0]
    p = tmp_path / "g.png"
    imwrite(p, img)
    with Image.open(p) as im:
        assert im.mode == "L"
    out = imread(p)
    assert out.shape == img.shape + (1,)


def test_jpeg_roundtrip(tmp_path):
    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    img = np.stack([0.5 + 0.3 * np.sin(xx / 6), 0.4 + 0.3 * np.cos(yy / 5), 0.5 + 0.2 * np.sin((xx + yy) / 9)], -1)
    u8 = np.round(img * 255).astype(np.uint8)
    Image.fromarray(u8).save(tmp_path / "ref.jpg", quality=95)
    with Image.open(tmp_path / "ref.jpg") as ref:
        expected = np.asarray(ref, np.float32) / 255  # what quality 95 gives
    for ext in (".jpg", ".JPEG"):
        p = tmp_path / f"img{ext}"
        imwrite(p, img)
        out = np.asarray(imread(p))
        assert out.shape == img.shape
        assert _psnr(out, img) > 35
        np.testing.assert_array_equal(out, expected)


def test_npy_roundtrip_exact(tmp_path):
    img = _ramp(c=4) * 3.0 - 1.0  # out of [0, 1] and 4 channels: kept unchanged
    p = tmp_path / "a.npy"
    imwrite(p, img)
    out = np.asarray(imread(p))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, img)


def test_npy_integer_and_2d_scaling(tmp_path):
    np.save(tmp_path / "u8.npy", np.array([[0, 255], [51, 102]], np.uint8))
    np.save(tmp_path / "u16.npy", np.full((2, 2, 3), 65535, np.uint16))
    a = np.asarray(imread(tmp_path / "u8.npy"))
    assert a.shape == (2, 2, 1)
    np.testing.assert_allclose(a[:, :, 0], [[0, 1], [0.2, 0.4]], atol=1e-7)
    np.testing.assert_allclose(np.asarray(imread(tmp_path / "u16.npy")), 1.0)


def test_float_tiff_kept_as_float(tmp_path):
    arr = np.array([[0.25, 1.5], [-0.5, 0.0]], np.float32)
    p = tmp_path / "f.tif"
    Image.fromarray(arr).save(p)
    out = np.asarray(imread(p))
    assert out.shape == (2, 2, 1)
    np.testing.assert_array_equal(out[:, :, 0], arr)


def test_rgba_drops_alpha_with_warning(tmp_path):
    rgba = np.zeros((5, 6, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 128
    p = tmp_path / "rgba.png"
    Image.fromarray(rgba).save(p)
    with pytest.warns(UserWarning, match="alpha"):
        out = np.asarray(imread(p))
    assert out.shape == (5, 6, 3)
    np.testing.assert_array_equal(out[..., 0], 1.0)
    np.testing.assert_array_equal(out[..., 1:], 0.0)


def test_la_drops_alpha_to_gray(tmp_path):
    p = tmp_path / "la.png"
    Image.new("LA", (4, 3), (200, 10)).save(p)
    with pytest.warns(UserWarning, match="alpha"):
        out = np.asarray(imread(p))
    assert out.shape == (3, 4, 1)
    np.testing.assert_allclose(out, 200 / 255, atol=1e-7)


def test_palette_image_becomes_rgb(tmp_path):
    p = tmp_path / "pal.png"
    Image.new("RGB", (4, 4), (10, 200, 30)).convert("P").save(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = np.asarray(imread(p))
    assert out.shape == (4, 4, 3)


# ------------------------------------------------------------------ atomic writes


def test_imwrite_leaves_no_temp_files(tmp_path):
    for name in ("a.png", "b.jpg", "c.tif", "d.npy"):
        imwrite(tmp_path / name, _ramp(c=3))
    imwrite(tmp_path / "a.png", _ramp(c=1))  # overwrite
    assert sorted(os.listdir(tmp_path)) == ["a.png", "b.jpg", "c.tif", "d.npy"]
    assert imread(tmp_path / "a.png").shape[2] == 1


def test_failed_write_keeps_original(tmp_path):
    p = tmp_path / "keep.png"
    imwrite(p, _ramp(c=3))
    before = p.read_bytes()
    bad = _ramp(c=3)
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        imwrite(p, bad)
    with pytest.raises(ValueError, match="16-bit"):
        imwrite(p, _ramp(c=3), bit_depth=16)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.png"]


def test_failure_during_save_cleans_up(tmp_path, monkeypatch):
    p = tmp_path / "x.png"
    imwrite(p, _ramp(c=3))
    before = p.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        imwrite(p, _ramp(c=1))
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["x.png"]


def test_imwrite_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        imwrite(tmp_path / "nope" / "a.png", _ramp())
    assert not (tmp_path / "nope").exists()


# ------------------------------------------------------------------ read errors


def test_missing_file(tmp_path):
    p = tmp_path / "missing.png"
    with pytest.raises(FileNotFoundError, match="missing.png"):
        imread(p)


def test_truncated_png(tmp_path):
    p = tmp_path / "t.png"
    imwrite(p, _ramp(64, 64, 3))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"t\.png.*truncated"):
        imread(p)


def test_text_file_named_png(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("this is not an image\n")
    with pytest.raises(ValueError, match=r"notes\.png.*not an image"):
        imread(p)


def test_npy_object_array_refused(tmp_path):
    p = tmp_path / "obj.npy"
    np.save(p, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"obj\.npy.*(pickle|[Oo]bject)"):
        imread(p)


def test_npy_nan_refused(tmp_path):
    arr = np.zeros((3, 3), np.float32)
    arr[1, 1] = np.nan
    np.save(tmp_path / "nan.npy", arr)
    with pytest.raises(ValueError, match=r"nan\.npy.*non-finite.*1 NaN"):
        imread(tmp_path / "nan.npy")


def test_npy_bad_rank_and_dtype(tmp_path):
    np.save(tmp_path / "r1.npy", np.zeros(5, np.float32))
    np.save(tmp_path / "i64.npy", np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match="rank"):
        imread(tmp_path / "r1.npy")
    with pytest.raises(ValueError, match="dtype"):
        imread(tmp_path / "i64.npy")


# ------------------------------------------------------------------ write errors


def test_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"extension '\.bmp'"):
        imwrite(tmp_path / "a.bmp", _ramp())
    with pytest.raises(ValueError, match="extension"):
        imwrite(tmp_path / "noext", _ramp())
    assert os.listdir(tmp_path) == []


def test_16bit_colour_write_error(tmp_path):
    with pytest.raises(ValueError, match=r"16-bit.*gray.*\.npy"):
        imwrite(tmp_path / "c.png", _ramp(c=3), bit_depth=16)
    with pytest.raises(ValueError, match="JPEG"):
        imwrite(tmp_path / "c.jpg", _ramp(c=1), bit_depth=16)
    with pytest.raises(ValueError, match="bit_depth must be 8 or 16"):
        imwrite(tmp_path / "c.png", _ramp(c=1), bit_depth=12)
    assert os.listdir(tmp_path) == []


def test_bad_image_inputs(tmp_path):
    with pytest.raises(ValueError, match="channels"):
        imwrite(tmp_path / "c.png", _ramp(c=2))
    with pytest.raises(ValueError, match="floating-point"):
        imwrite(tmp_path / "c.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="rank"):
        imwrite(tmp_path / "c.png", np.zeros((2, 4, 4, 3), np.float32))


def test_values_are_clipped(tmp_path):
    img = np.array([[-0.5, 0.5, 2.0]], np.float32)
    imwrite(tmp_path / "clip.png", img)
    out = np.asarray(imread(tmp_path / "clip.png"))[:, :, 0]
    np.testing.assert_allclose(out, [[0.0, 128 / 255, 1.0]], atol=1e-7)
