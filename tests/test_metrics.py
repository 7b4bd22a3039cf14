"""Tests for jaxreg.metrics against scikit-image and NumPy references."""

from pathlib import Path

import numpy as np
import pytest
import jax
import jax.numpy as jnp
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from jaxreg import metrics

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CROP = 128
COLOUR = ["dip/denoising_F16_GT.png", "alr/butterfly.png", "alr/castle.png",
          "drp/set5_baby.png", "clipart/gt/clip1.png"]
GRAY = ["dip/restoration_barbara.png", "luma:alr/castle.png"]


def _load(name):
    """Read a shared image as float32 in [0, 1], (H, W) for gray, (H, W, 3) for colour."""
    luma = name.startswith("luma:")
    path = DATA / name.removeprefix("luma:")
    if not path.is_file():
        pytest.skip(f"shared test image {path} not found (expected ../shared/data next to the repo)")
    im = Image.open(path)
    if im.mode == "RGBA":  # clip-art: composite over black, RGB * alpha / 255
        a = np.asarray(im, dtype=np.float32)
        x = a[..., :3] * a[..., 3:] / 255.0
    elif im.mode == "L":
        x = np.asarray(im, dtype=np.float32)
    else:
        x = np.asarray(im.convert("RGB"), dtype=np.float32)
    x = x / 255.0
    if luma:
        x = x @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return np.ascontiguousarray(x[:CROP, :CROP]).astype(np.float32)


def _degrade(x, seed, sigma=0.08):
    rng = np.random.default_rng(seed)
    return np.clip(x + sigma * rng.standard_normal(x.shape), 0.0, 1.0).astype(np.float32)


@pytest.fixture(scope="module", params=COLOUR + GRAY)
def pair(request):
    ref = _load(request.param)
    return _degrade(ref, seed=len(request.param)), ref


IDENTITY_AND_JIT = pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["eager", "jit"])


def _sk_ssim(img, ref, window):
    kw = dict(data_range=1.0, channel_axis=-1 if ref.ndim == 3 else None)
    if window == "gaussian":
        kw.update(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    return structural_similarity(ref.astype(np.float64), img.astype(np.float64), **kw)


def test_psnr_matches_skimage(pair):
    img, ref = pair
    want = peak_signal_noise_ratio(ref, img, data_range=1)
    got = float(metrics.psnr(img, ref, data_range=1.0))
    assert abs(got - want) < 1e-4
    assert float(metrics.mse(img, ref)) == pytest.approx(np.mean((img.astype(np.float64) - ref) ** 2), rel=1e-5)


@pytest.mark.parametrize("window", ["uniform", "gaussian"])
def test_ssim_matches_skimage(pair, window):
    img, ref = pair
    want = _sk_ssim(img, ref, window)
    got = float(metrics.ssim(img, ref, data_range=1.0, window=window))
    assert abs(got - want) < 1e-4
    if ref.ndim == 2:  # (H, W) and (H, W, 1) agree
        got1 = float(metrics.ssim(img[..., None], ref[..., None], data_range=1.0, window=window))
        assert abs(got1 - got) < 1e-6


def test_ssim_modes_differ_and_identity_is_one():
    ref = _load("alr/butterfly.png")
    img = _degrade(ref, 0)
    u = float(metrics.ssim(img, ref, data_range=1.0))
    g = float(metrics.ssim(img, ref, data_range=1.0, window="gaussian"))
    assert abs(u - g) > 1e-3
    assert float(metrics.ssim(ref, ref, data_range=1.0)) == pytest.approx(1.0, abs=1e-6)
    assert float(metrics.ssim(ref, ref, data_range=1.0, window="gaussian")) == pytest.approx(1.0, abs=1e-6)
    assert np.isinf(float(metrics.psnr(ref, ref, data_range=1.0)))


def _np_sam(x, r):
    x, r = x.astype(np.float64), r.astype(np.float64)
    nx, nr = np.linalg.norm(x, axis=-1), np.linalg.norm(r, axis=-1)
    ok = (nx > 0) & (nr > 0)
    cos = np.sum(x * r, axis=-1)[ok] / (nx[ok] * nr[ok])
    return np.degrees(np.mean(np.arccos(np.clip(cos, -1.0, 1.0))))


def _np_ergas(x, r, ratio):
    x, r = x.astype(np.float64).reshape(-1, x.shape[-1]), r.astype(np.float64).reshape(-1, r.shape[-1])
    rmse = np.sqrt(np.mean((x - r) ** 2, axis=0))
    return 100.0 * ratio * np.sqrt(np.mean((rmse / r.mean(axis=0)) ** 2))


@pytest.mark.parametrize("name", COLOUR)
def test_sam_ergas_match_numpy(name):
    ref = _load(name)
    img = _degrade(ref, 3, sigma=0.05)
    # clip-art has black (zero-norm) pixels: those must be excluded from the SAM mean
    assert float(metrics.sam(img, ref)) == pytest.approx(_np_sam(img, ref), rel=1e-4, abs=1e-4)
    for ratio in (1.0, 0.25):
        assert float(metrics.ergas(img, ref, ratio=ratio)) == pytest.approx(_np_ergas(img, ref, ratio), rel=1e-5)


def test_sam_masks_zero_vectors_and_small_angles():
    ref = np.ones((4, 4, 3), np.float32)
    img = ref.copy()
    img[0, 0] = 0.0  # excluded
    img[1, 1] = [1.0, 0.0, 0.0]  # angle arccos(1/sqrt(3))
    img[2, 2] = [1.0, 1.0, 1.0 + 1e-3]  # tiny angle, where a float32 arccos is inaccurate
    want = _np_sam(img, ref)
    assert float(metrics.sam(img, ref)) == pytest.approx(want, rel=1e-5)
    assert np.isnan(float(metrics.sam(np.zeros_like(ref), ref)))


@IDENTITY_AND_JIT
def test_jit_and_eager_agree(wrap):
    ref = _load("alr/butterfly.png")
    img = _degrade(ref, 1)
    fns = {
        "psnr": lambda a, b: metrics.psnr(a, b, data_range=1.0),
        "ssim": lambda a, b: metrics.ssim(a, b, data_range=1.0),
        "ssim_g": lambda a, b: metrics.ssim(a, b, data_range=1.0, window="gaussian"),
        "sam": metrics.sam,
        "ergas": metrics.ergas,
    }
    for name, fn in fns.items():
        want = float(fn(img, ref))
        got = float(wrap(fn)(jnp.asarray(img), jnp.asarray(ref)))
        assert got == pytest.approx(want, rel=1e-5, abs=1e-6), name
    # traced data_range also works
    dr = jax.jit(lambda a, b, d: metrics.psnr(a, b, data_range=d))(img, ref, 1.0)
    assert float(dr) == pytest.approx(float(fns["psnr"](img, ref)), rel=1e-6)


def test_vmap_over_stack():
    refs = np.stack([_load(n) for n in COLOUR[:3]])
    imgs = np.stack([_degrade(r, i) for i, r in enumerate(refs)])
    got = jax.vmap(lambda a, b: metrics.psnr(a, b, data_range=1.0))(imgs, refs)
    want = [float(metrics.psnr(a, b, data_range=1.0)) for a, b in zip(imgs, refs)]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    got_s = jax.jit(jax.vmap(lambda a, b: metrics.ssim(a, b, data_range=1.0, window="gaussian")))(imgs, refs)
    want_s = [_sk_ssim(a, b, "gaussian") for a, b in zip(imgs, refs)]
    np.testing.assert_allclose(np.asarray(got_s), want_s, atol=1e-4)


X = np.zeros((16, 16, 3), np.float32)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: metrics.psnr(X, X[:8], data_range=1.0), "shapes differ"),
        (lambda: metrics.ssim(X, X[..., :1], data_range=1.0), "shapes differ"),
        (lambda: metrics.sam(X, X[:, :8]), "shapes differ"),
        (lambda: metrics.psnr(X[0, 0], X[0, 0], data_range=1.0), "rank"),
        (lambda: metrics.ssim(X[None], X[None], data_range=1.0), "rank"),
        (lambda: metrics.sam(X[0], X[0]), "rank"),
        (lambda: metrics.ergas(X[0], X[0]), "rank"),
        (lambda: metrics.psnr((X * 255).astype(np.uint8), X, data_range=1.0), "floating-point"),
        (lambda: metrics.ssim(X, X.astype(np.int32), data_range=1.0), "floating-point"),
        (lambda: metrics.ssim(X, X, data_range=1.0, window="box"), "unknown SSIM window"),
        (lambda: metrics.ssim(X[:6], X[:6], data_range=1.0), "smaller than the 7x7"),
        (lambda: metrics.ssim(X[:, :10], X[:, :10], data_range=1.0, window="gaussian"), "smaller than the 11x11"),
        (lambda: metrics.psnr(X, X, data_range=0.0), "data_range must be positive"),
        (lambda: metrics.ssim(X, X, data_range=-1.0), "data_range must be positive"),
        (lambda: metrics.ergas(X, X, ratio=0.0), "ratio must be positive"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_data_range_is_required_keyword():
    with pytest.raises(TypeError, match="data_range"):
        metrics.psnr(X, X)
    with pytest.raises(TypeError, match="data_range"):
        metrics.ssim(X, X)
    with pytest.raises(TypeError):
        metrics.psnr(X, X, 1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        jax.jit(lambda a, b: metrics.psnr(a, b, data_range=1.0))(X, X[:8])


def test_mpsnr_is_the_band_mean_of_skimage_psnr():
    rng = np.random.default_rng(5)
    ref = rng.uniform(size=(16, 12, 5)).astype(np.float32)
    img = np.clip(ref + rng.normal(size=ref.shape).astype(np.float32) * np.linspace(0.01, 0.2, 5, dtype=np.float32),
                  0, 1)
    want = np.mean([peak_signal_noise_ratio(ref[..., b], img[..., b], data_range=1.0) for b in range(5)])
    assert float(metrics.mpsnr(img, ref, data_range=1.0)) == pytest.approx(want, rel=1e-5)
    # unequal band errors: the band mean differs from the PSNR of the pooled MSE
    assert float(metrics.mpsnr(img, ref, data_range=1.0)) > float(metrics.psnr(img, ref, data_range=1.0)) + 1.0
    with pytest.raises(ValueError, match="data_range"):
        metrics.mpsnr(img, ref, data_range=0.0)
