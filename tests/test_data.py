"""Tests for jaxreg.data: degradations, masks, kernels and sample images."""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from jaxreg import data


def _smooth(h=48, w=64, c=3):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    chans = [0.5 + 0.3 * np.sin(xx / (6.0 + k)) * np.cos(yy / (8.0 + k)) for k in range(c)]
    return np.stack(chans, axis=-1).astype(np.float32)


def _psnr(a, b):
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 10 * np.log10(1.0 / mse)


# ------------------------------------------------------------------ noise


def test_noise_statistics():
    x = jnp.full((128, 128, 3), 0.5, jnp.float32)
    sigma = 0.1
    y = data.add_gaussian_noise(jax.random.key(0), x, sigma)
    assert y.shape == x.shape and y.dtype == jnp.float32
    n = np.asarray(y - x)
    assert abs(n.mean()) < 5 * sigma / np.sqrt(n.size)  # 5 standard errors
    assert abs(n.std() - sigma) < 0.02 * sigma


def test_noise_determinism():
    x = jnp.asarray(_smooth())
    a = data.add_gaussian_noise(jax.random.key(1), x, 0.05)
    b = data.add_gaussian_noise(jax.random.key(1), x, 0.05)
    c = data.add_gaussian_noise(jax.random.key(2), x, 0.05)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a), np.asarray(c))


def test_noise_clip_and_zero_sigma():
    x = jnp.asarray(_smooth())
    y = data.add_gaussian_noise(jax.random.key(0), x, 0.5, clip=True)
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    np.testing.assert_array_equal(np.asarray(data.add_gaussian_noise(jax.random.key(0), x, 0.0)), np.asarray(x))


def test_noise_negative_sigma():
    with pytest.raises(ValueError, match="noise level sigma must be non-negative"):
        data.add_gaussian_noise(jax.random.key(0), jnp.zeros((4, 4, 1)), -0.1)


# ------------------------------------------------------------------ masks


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.77, 1.0])
def test_random_mask_exact_rate(rate):
    m = data.random_mask(jax.random.key(0), (30, 40, 3), rate)
    assert m.shape == (30, 40, 1) and m.dtype == jnp.float32
    a = np.asarray(m)
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert int(a.sum()) == round(rate * 30 * 40)


def test_random_mask_2d_shape_and_key():
    a = data.random_mask(jax.random.key(0), (20, 20), 0.5)
    b = data.random_mask(jax.random.key(0), (20, 20), 0.5)
    c = data.random_mask(jax.random.key(5), (20, 20), 0.5)
    assert a.shape == (20, 20, 1)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_random_mask_per_entry_samples_each_channel_independently():
    m = np.asarray(data.random_mask(jax.random.key(3), (40, 50, 3), 0.3, per_entry=True))
    assert m.shape == (40, 50, 3) and set(np.unique(m)) <= {0.0, 1.0}
    assert int(m.sum()) == round(0.3 * 40 * 50 * 3)
    # channels differ (a shared mask would give all-equal columns), and about 1 - 0.7**3 of the
    # pixels have at least one observed channel
    assert (m.min(axis=2) != m.max(axis=2)).mean() > 0.4
    assert abs((m.max(axis=2) == 1).mean() - (1 - 0.7 ** 3)) < 0.03


def test_random_mask_per_entry_needs_channels():
    with pytest.raises(ValueError, match=r"per_entry=True needs an image shape \(H, W, C\)"):
        data.random_mask(jax.random.key(0), (8, 8), 0.5, per_entry=True)


@pytest.mark.parametrize("rate", [0.0, -0.2, 1.5])
def test_random_mask_invalid_rate(rate):
    with pytest.raises(ValueError, match=r"rate .* must be in \(0, 1\]"):
        data.random_mask(jax.random.key(0), (8, 8), rate)


def test_random_mask_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        data.random_mask(jax.random.key(0), (8,), 0.5)


def test_text_mask():
    m = data.text_mask((96, 128, 3))
    assert m.shape == (96, 128, 1) and m.dtype == jnp.float32
    a = np.asarray(m)
    assert set(np.unique(a)) == {0.0, 1.0}
    assert 0.02 < 1 - a.mean() < 0.5  # some, but not most, pixels covered
    # text covers the whole image, top and bottom halves alike
    assert (a[:48] == 0).any() and (a[48:] == 0).any()
    np.testing.assert_array_equal(a, np.asarray(data.text_mask((96, 128))))
    b = np.asarray(data.text_mask((96, 128), "other words", font_size=20))
    assert not np.array_equal(a, b)


def test_text_mask_errors():
    with pytest.raises(ValueError, match="text"):
        data.text_mask((32, 32), "")
    with pytest.raises(ValueError, match="font_size"):
        data.text_mask((32, 32), font_size=0)


# ------------------------------------------------------------------ JPEG


def test_jpeg_roundtrip():
    x = _smooth()
    y = data.jpeg_roundtrip(x, 75)
    assert y.shape == x.shape and y.dtype == jnp.float32
    assert not np.allclose(np.asarray(y), x, atol=1 / 255)
    assert _psnr(y, x) > 20
    assert _psnr(data.jpeg_roundtrip(x, 5), x) < _psnr(data.jpeg_roundtrip(x, 95), x)


def test_jpeg_roundtrip_gray():
    x = _smooth(c=1)
    y = data.jpeg_roundtrip(x, 50)
    assert y.shape == x.shape
    assert _psnr(y, x) > 20


@pytest.mark.parametrize("q", [0, 101, 50.5, True])
def test_jpeg_invalid_quality(q):
    with pytest.raises(ValueError, match="quality"):
        data.jpeg_roundtrip(_smooth(), q)


# ------------------------------------------------------------------ blur


@pytest.mark.parametrize("boundary", ["circular", "replicate"])
@pytest.mark.parametrize("ksize", [(3, 3), (5, 4)])
def test_blur_delta_is_identity(boundary, ksize):
    x = _smooth(20, 24, 3)
    k = np.zeros(ksize, np.float32)
    k[ksize[0] // 2, ksize[1] // 2] = 1.0
    y = data.blur(x, k, boundary=boundary)
    np.testing.assert_allclose(np.asarray(y), x, atol=1e-5)


@pytest.mark.parametrize("boundary", ["circular", "replicate"])
def test_blur_shifted_delta_is_true_convolution(boundary):
    x = np.random.default_rng(0).random((16, 16, 1)).astype(np.float32)
    k = np.zeros((3, 3), np.float32)
    k[1, 2] = 1.0  # y[i, j] = x[i, j - 1]
    y = np.asarray(data.blur(x, k, boundary=boundary))
    np.testing.assert_allclose(y[:, 1:], x[:, :-1], atol=1e-5)
    if boundary == "circular":
        np.testing.assert_allclose(y[:, 0], x[:, -1], atol=1e-5)
    else:
        np.testing.assert_allclose(y[:, 0], x[:, 0], atol=1e-5)


def test_blur_box_preserves_mean_and_modes_agree_inside():
    x = np.random.default_rng(1).random((32, 32, 3)).astype(np.float32)
    k = np.ones((5, 5), np.float32) / 25
    yc = np.asarray(data.blur(x, k))
    yr = np.asarray(data.blur(x, k, boundary="replicate"))
    np.testing.assert_allclose(yc.mean(axis=(0, 1)), x.mean(axis=(0, 1)), atol=1e-5)
    assert yc.std() < x.std() / 2
    np.testing.assert_allclose(yc[2:-2, 2:-2], yr[2:-2, 2:-2], atol=1e-5)
    manual = x[5:10, 7:12].mean(axis=(0, 1))  # centre (7, 9)
    np.testing.assert_allclose(yc[7, 9], manual, atol=1e-5)


def test_blur_jit():
    x = jnp.asarray(_smooth(16, 16, 1))
    k = data.gaussian_kernel(5, 1.0)
    f = jax.jit(lambda im: data.blur(im, k, boundary="replicate"))
    np.testing.assert_allclose(np.asarray(f(x)), np.asarray(data.blur(x, k, boundary="replicate")), atol=1e-6)


def test_blur_kernel_errors():
    x = _smooth(8, 8, 1)
    with pytest.raises(ValueError, match="larger than the image"):
        data.blur(x, np.ones((9, 3), np.float32) / 27)
    with pytest.raises(ValueError, match="kernel must have a positive sum"):
        data.blur(x, np.array([[1.0, -1.0]], np.float32))
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        data.blur(x, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="non-finite"):
        data.blur(x, np.array([[np.nan, 1.0]], np.float32))
    with pytest.raises(ValueError, match="boundary"):
        data.blur(x, np.ones((3, 3)), boundary="reflect")


def test_gaussian_kernel():
    k = np.asarray(data.gaussian_kernel(7, 1.5))
    assert k.shape == (7, 7) and k.dtype == np.float32
    assert abs(k.sum() - 1.0) < 1e-6
    np.testing.assert_allclose(k, k.T, atol=1e-8)
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-8)
    assert k.argmax() == 3 * 7 + 3


@pytest.mark.parametrize("size,sigma,match", [(4, 1.0, "odd"), (0, 1.0, "odd"), (5, 0.0, "sigma"), (5, -1, "sigma")])
def test_gaussian_kernel_errors(size, sigma, match):
    with pytest.raises(ValueError, match=match):
        data.gaussian_kernel(size, sigma)


# ------------------------------------------------------------------ sample images


def test_sample_image():
    pytest.importorskip("skimage", reason="scikit-image is not installed")
    x = data.sample_image("astronaut")
    assert x.shape == (512, 512, 3) and x.dtype == jnp.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0 and float(x.std()) > 0.05
    g = data.sample_image("camera", size=48)
    assert g.shape == (48, 48, 1)
    c = data.sample_image("coffee", size=32)  # 400 x 600: centre-cropped
    assert c.shape == (32, 32, 3)
    assert "astronaut" in data.sample_names()


def test_sample_image_unknown_name():
    with pytest.raises(ValueError, match="unknown sample image"):
        data.sample_image("no-such-photo")


# ------------------------------------------------------------------ clipart


def test_clipart():
    a = data.clipart(jax.random.key(0), (40, 48, 3), num_shapes=5)
    b = data.clipart(jax.random.key(0), (40, 48, 3), num_shapes=5)
    c = data.clipart(jax.random.key(1), (40, 48, 3), num_shapes=5)
    assert a.shape == (40, 48, 3) and a.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    arr = np.asarray(a)
    assert arr.min() >= 0 and arr.max() <= 1
    n_colours = len(np.unique(arr.reshape(-1, 3), axis=0))
    assert 2 <= n_colours <= 6
    # piecewise constant: most neighbouring pixels are equal
    same = np.all(arr[:, 1:] == arr[:, :-1], axis=-1).mean()
    assert same > 0.85


def test_clipart_gray():
    g = data.clipart(jax.random.key(3), (16, 16))
    assert g.shape == (16, 16, 1)
    with pytest.raises(ValueError, match="channels"):
        data.clipart(jax.random.key(0), (16, 16, 2))


def test_sample_image_without_skimage(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "skimage", None)
    monkeypatch.setitem(sys.modules, "skimage.data", None)
    with pytest.raises(ImportError, match="pip install scikit-image"):
        data.sample_image("astronaut")


def test_spectral_cube_mixes_the_rgb_channels_with_smooth_spectra():
    rgb = data.sample_image("astronaut", size=32)
    cube = data.spectral_cube(rgb, 16)
    assert cube.shape == (32, 32, 16) and cube.dtype == jnp.float32
    assert float(cube.max()) == pytest.approx(1.0) and float(cube.min()) >= 0.0
    # three endmembers: rank 3 along the bands, and the spectra are smooth (small band-to-band steps)
    s = np.linalg.svd(np.asarray(cube).reshape(-1, 16), compute_uv=False)
    assert s[3] < 1e-4 * s[0] and s[2] > 1e-3 * s[0]
    assert float(jnp.max(jnp.abs(jnp.diff(cube, axis=-1)))) < 0.25
    # a red pixel peaks at the long wavelengths, a blue one at the short
    red = data.spectral_cube(jnp.asarray([[[1.0, 0.0, 0.0]], [[0.0, 0.0, 1.0]]]), 16)
    assert int(jnp.argmax(red[0, 0])) >= 10 and int(jnp.argmax(red[1, 0])) < 6
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        data.spectral_cube(rgb[..., :2], 8)
    with pytest.raises(ValueError, match="bands must be >= 2"):
        data.spectral_cube(rgb, 1)


def test_mixed_noise_has_the_stated_components():
    cube = jnp.full((64, 48, 10), 0.5)
    y = np.asarray(data.mixed_noise(jax.random.key(0), cube, sigma_range=(0.0, 0.0), impulse=0.1,
                                    band_fraction=0.2, lines=5))
    impulses = np.isin(y, (0.0, 1.0))
    assert 0.08 < impulses.mean() < 0.13  # 10 % impulses (+ the deadline columns, which are 0)
    dead = np.all(y == 0.0, axis=0)  # (W, bands): whole columns set to 0
    assert dead.sum() == 2 * 5 and np.count_nonzero(dead.any(axis=0)) == 2
    shifted = (~impulses) & (np.abs(y - 0.5) > 1e-6)
    assert np.count_nonzero(shifted.any(axis=0).any(axis=0)) == 2  # stripes on 20 % of the bands
    g = np.asarray(data.mixed_noise(jax.random.key(1), cube, sigma_range=(0.1, 0.1), impulse=0.0, band_fraction=0.0))
    assert np.std(g - 0.5) == pytest.approx(0.1, rel=0.05)
    with pytest.raises(ValueError, match="impulse must be in"):
        data.mixed_noise(jax.random.key(0), cube, impulse=1.5)
    with pytest.raises(ValueError, match="lines must be in"):
        data.mixed_noise(jax.random.key(0), cube, lines=100)
