"""Degradations and sample images for experiments and tests.

Images are float32 ``(H, W, C)`` arrays in [0, 1] (gray is ``(H, W, 1)``).
Randomness comes only from an explicit JAX ``key``, always the first
argument, so every function here is deterministic given its inputs.

``add_gaussian_noise``, ``random_mask`` and ``blur`` are pure JAX and can be
used inside ``jit``/``vmap`` (their value checks run only on concrete inputs).
``text_mask``, ``jpeg_roundtrip``, ``sample_image`` and ``clipart`` render or
decode with Pillow on the host and are not jit-able.
"""

from __future__ import annotations

import functools
import io
import operator

import numpy as np
import jax
import jax.numpy as jnp
from PIL import Image, ImageDraw, ImageFont

from jaxreg._checks import as_float_array, check_nonnegative, is_concrete
from jaxreg.operators import CircularConvolution, Decimation, SameConvolution
from jaxreg.operators.fourier import check_kernel

__all__ = [
    "add_gaussian_noise",
    "random_mask",
    "text_mask",
    "jpeg_roundtrip",
    "blur",
    "gaussian_kernel",
    "downsample",
    "upsample",
    "sample_image",
    "sample_names",
    "clipart",
]

_LANCZOS = getattr(Image, "Resampling", Image).LANCZOS
_NEAREST = getattr(Image, "Resampling", Image).NEAREST


# ------------------------------------------------------------------ helpers


def _int(value, name: str) -> int:
    """``value`` as a Python int (bools and non-integral values rejected)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def _image_shape(shape, name: str = "shape") -> tuple:
    """Validate ``(H, W)`` or ``(H, W, C)`` with positive integer entries."""
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{name} must be a tuple (H, W) or (H, W, C), got {shape!r}") from None
    if len(shape) not in (2, 3):
        raise ValueError(f"{name} must be a tuple (H, W) or (H, W, C), got {shape!r}")
    out = tuple(_int(s, name) for s in shape)
    if any(s <= 0 for s in out):
        raise ValueError(f"{name} entries must be positive, got {shape!r}")
    return out


# ------------------------------------------------------------------ noise and masks


def add_gaussian_noise(key, image, sigma, *, clip: bool = False):
    """Return ``image + sigma * N(0, 1)`` with noise drawn from ``key``.

    ``image`` is a float ``(H, W, C)`` (or ``(T, H, W, C)``) array; ``sigma``
    is the noise standard deviation on the [0, 1] intensity scale (a scalar,
    or an array broadcastable to the image).  With ``clip=True`` the result is
    clipped to [0, 1].  Raises ``ValueError`` for a negative or non-finite
    ``sigma`` ("noise level sigma must be non-negative").
    """
    x = as_float_array(image, "image", ranks=(3, 4))
    check_nonnegative(sigma, "noise level sigma")
    noise = jax.random.normal(key, x.shape, dtype=x.dtype)
    y = x + jnp.asarray(sigma, dtype=x.dtype) * noise
    return jnp.clip(y, 0.0, 1.0) if clip else y


def random_mask(key, shape, rate, *, per_entry: bool = False):
    """Random observation mask: 1 = observed, 0 = missing.

    ``shape`` is ``(H, W)`` or an image shape ``(H, W, C)``.  ``rate`` in
    (0, 1] is the fraction observed and is exact: ``round(rate * n)`` of the
    ``n`` candidates, chosen by a uniformly random permutation, are set to 1.

    * ``per_entry=False`` (default): per-pixel sampling, ``n = H·W``; the
      result is float32 ``(H, W, 1)``, one mask shared by all channels (it
      broadcasts against the image).
    * ``per_entry=True``: per-entry (tensor-completion) sampling, ``n = H·W·C``
      and the result has the image's shape ``(H, W, C)``; each channel of a
      pixel is observed or missing independently.  This is the protocol of
      the NGR paper (Xu et al.) and of its code, which samples the entries of
      the ``C × H × W`` tensor.  It needs ``shape`` with a channel axis.

    Raises ``ValueError`` for a rate outside (0, 1], one that observes
    nothing, or ``per_entry=True`` with a 2-D ``shape``.
    """
    dims = _image_shape(shape)
    if per_entry and len(dims) != 3:
        raise ValueError(f"per_entry=True needs an image shape (H, W, C), got {shape!r}")
    out_shape = dims if per_entry else (*dims[:2], 1)
    n = int(np.prod(out_shape))
    what = "entry" if per_entry else "pixel"
    if is_concrete(rate):
        r = float(np.asarray(rate))
        if not (0.0 < r <= 1.0):
            raise ValueError(f"rate (fraction of observed {what}s) must be in (0, 1], got {rate!r}")
        n_obs = int(round(r * n))
        if n_obs == 0:
            raise ValueError(f"rate={rate!r} observes no {what} of a {'x'.join(map(str, dims))} image; "
                             "increase the rate")
    else:
        n_obs = jnp.round(rate * n)
    perm = jax.random.permutation(key, n)
    # perm is a permutation of 0..n-1, so exactly n_obs entries are < n_obs
    return (perm < n_obs).astype(jnp.float32).reshape(out_shape)


def _load_font(size: int):
    """Pillow's default font at ``size`` px; ``(font, scale)`` where scale > 1
    means a fixed-size bitmap font that must be rendered small and upscaled."""
    try:
        font = ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType
    except (TypeError, OSError, ImportError):
        font = ImageFont.load_default()
    if isinstance(font, ImageFont.FreeTypeFont):
        return font, 1.0
    return font, max(1.0, size / 11.0)  # the bitmap default font is ~11 px tall


def text_mask(shape, text: str = "jaxreg restores images", *, font_size=None, line_spacing: float = 2.0):
    """Text-overlay inpainting mask: 0 where text is drawn, 1 elsewhere.

    ``text`` is repeated along lines that cover the whole image (each line
    shifted horizontally), as in the text masks of Deep Image Prior
    inpainting.  ``shape`` is ``(H, W)`` or ``(H, W, C)``; the result is
    float32 ``(H, W, 1)``.  ``font_size`` is the font height in pixels
    (default ``max(8, min(H, W) // 16)``) and ``line_spacing`` the distance
    between consecutive lines in units of ``font_size``.  Rendered with
    Pillow's default font, so it is deterministic (no key) but not jit-able.
    """
    h, w = _image_shape(shape)[:2]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    fs = max(8, min(h, w) // 16) if font_size is None else _int(font_size, "font_size")
    if fs <= 0:
        raise ValueError(f"font_size must be positive, got {font_size!r}")
    spacing = float(line_spacing)
    if not (np.isfinite(spacing) and spacing > 0):
        raise ValueError(f"line_spacing must be positive, got {line_spacing!r}")

    font, scale = _load_font(fs)
    ch, cw = max(1, round(h / scale)), max(1, round(w / scale))  # canvas size
    fs_canvas = fs / scale
    canvas = Image.new("L", (cw, ch), 0)
    draw = ImageDraw.Draw(canvas)
    unit = text.strip() + "   "
    unit_w = max(1.0, float(draw.textlength(unit, font=font)))
    line = unit * (int(cw // unit_w) + 2)
    pitch = max(1.0, spacing * fs_canvas)
    y, i = 0.25 * pitch, 0
    while y < ch:
        x = -((i * 0.37 * unit_w) % unit_w)  # stagger the lines
        draw.text((x, y), line, fill=255, font=font)
        y += pitch
        i += 1
    if (ch, cw) != (h, w):
        canvas = canvas.resize((w, h), _NEAREST)
    drawn = np.asarray(canvas) >= 128
    return jnp.asarray((~drawn)[:, :, None], dtype=jnp.float32)


# ------------------------------------------------------------------ compression


def jpeg_roundtrip(image, quality):
    """Compress ``image`` as JPEG at ``quality`` (1..100) in memory and decode it.

    ``image`` is float ``(H, W, 1)`` or ``(H, W, 3)``; it is clipped to
    [0, 1] and quantised to 8 bits first.  Returns float32 of the same shape.
    Runs Pillow on the host: not jit-able or differentiable.
    """
    q = _int(quality, "quality")
    if not 1 <= q <= 100:
        raise ValueError(f"JPEG quality must be an integer in 1..100, got {quality!r}")
    x = np.asarray(as_float_array(image, "image"), dtype=np.float32)
    c = x.shape[2]
    if c not in (1, 3):
        raise ValueError(f"JPEG needs 1 (gray) or 3 (RGB) channels, got {c}")
    u8 = np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(u8[:, :, 0] if c == 1 else u8).save(buf, format="JPEG", quality=q)
    buf.seek(0)
    with Image.open(buf) as img:
        out = np.asarray(img.convert("L" if c == 1 else "RGB"), dtype=np.float32) / 255.0
    return jnp.asarray(out.reshape(x.shape), dtype=jnp.float32)


# ------------------------------------------------------------------ blur


def gaussian_kernel(size, sigma):
    """Normalised ``size x size`` float32 Gaussian kernel (sums to 1).

    ``size`` must be a positive odd integer and ``sigma`` (standard deviation
    in pixels) positive and finite.
    """
    n = _int(size, "size")
    if n <= 0 or n % 2 == 0:
        raise ValueError(f"kernel size must be a positive odd integer, got {size!r}")
    s = float(sigma)
    if not (np.isfinite(s) and s > 0):
        raise ValueError(f"kernel sigma must be positive and finite, got {sigma!r}")
    t = np.arange(n, dtype=np.float64) - n // 2
    g = np.exp(-0.5 * (t / s) ** 2)
    k = np.outer(g, g)
    return jnp.asarray(k / k.sum(), dtype=jnp.float32)


def blur(image, kernel, *, boundary: str = "circular"):
    """Convolve each channel of ``image`` ``(H, W, C)`` with a 2-D ``kernel``.

    True convolution with the kernel centred at index ``(kh // 2, kw // 2)``,
    so a centred delta kernel is the identity.  ``boundary="circular"``
    uses periodic boundaries (:class:`~jaxreg.operators.CircularConvolution`,
    by FFT); ``"replicate"`` extends the image by repeating its edge pixels
    (:class:`~jaxreg.operators.SameConvolution`).  The kernel must be 2-D,
    finite, have a positive sum and be no larger than the image
    (``ValueError`` otherwise); it is not renormalised.
    """
    if boundary not in ("circular", "replicate"):
        raise ValueError(f"boundary must be 'circular' or 'replicate', got {boundary!r}")
    x = as_float_array(image, "image")
    k = check_kernel(kernel, x.shape, positive_sum=True)
    op = CircularConvolution if boundary == "circular" else SameConvolution
    return op(k, x.shape)(x)


# ------------------------------------------------------------------ resampling

UPSAMPLE_METHODS = {"bicubic": "cubic", "bilinear": "linear", "nearest": "nearest", "lanczos3": "lanczos3"}


def downsample(image, factor, kernel="lanczos2", *, boundary: str = "replicate", clip: bool = False):
    """The super-resolution forward model ``y = S (k ⋆ x)`` applied to a high-resolution ``(H, W, C)`` image.

    Exactly the operator of :class:`jaxreg.problems.SuperResolution` with the same ``factor``, ``kernel``
    (``"lanczos2"``, ``"bicubic"``, ``"box"`` or a 2-D array summing to 1) and ``boundary``, so a test input and
    the model a method inverts agree.  ``H`` and ``W`` must be multiples of ``factor`` (crop first:
    ``image[:H - H % f, :W - W % f]``).  The Lanczos and bicubic kernels have negative lobes, so values can leave
    [0, 1] slightly at sharp edges; ``clip=True`` clips them (as saving the image would).
    """
    x = as_float_array(image, "image", ranks=(3, 4))
    y = Decimation(kernel, factor, tuple(x.shape), boundary=boundary)(x)
    return jnp.clip(y, 0.0, 1.0) if clip else y


def upsample(image, factor, *, method: str = "bicubic"):
    """Interpolate a low-resolution ``(h, w, C)`` image to ``(factor·h, factor·w, C)``.

    ``method`` ``"bicubic"`` (Keys' cubic convolution, ``a = −0.5``, as PIL's ``BICUBIC`` for enlarging),
    ``"bilinear"``, ``"nearest"`` or ``"lanczos3"``; pixel centres are aligned as in :func:`downsample`
    (``jax.image.resize``, half-pixel centres).  Not clipped.
    """
    from jaxreg.operators.resample import check_factor
    f = check_factor(factor)
    if method not in UPSAMPLE_METHODS:
        raise ValueError(f"method must be one of {tuple(UPSAMPLE_METHODS)}, got {method!r}")
    x = as_float_array(image, "image", ranks=(3, 4))
    shape = x.shape[:-3] + (f * x.shape[-3], f * x.shape[-2], x.shape[-1])
    return jax.image.resize(x, shape, UPSAMPLE_METHODS[method])


def mixed_noise(key, cube, *, sigma_range=(0.1, 0.4), impulse=0.1, band_fraction=0.2, lines: int = 35,
                sigma_scale: float = 1.0):
    """Mixed noise of hyperspectral denoising (Xu et al., "Neural Gradient Regularizer", §III-B2 "weak mixed
    noise"; strong: ``impulse=0.25, band_fraction=0.5``) on a cube ``(H, W, B)``.

    1. every band ``b`` gets Gaussian noise of standard deviation ``σ_b ~ U[sigma_range] · sigma_scale``;
    2. salt-and-pepper impulses (0 or 1) replace a fraction ``impulse`` of all entries;
    3. ``round(band_fraction · B)`` random bands get ``lines`` stripes (a whole column shifted by
       ``U[−0.25, 0.25]``) and, of those, the same number of bands get ``lines`` deadlines (whole columns set
       to 0).  Column positions are drawn per band.

    The result is not clipped.  All randomness from ``key``.
    """
    x = as_float_array(cube, "cube", ranks=(3,))
    lo, hi = (float(v) for v in sigma_range)
    if not 0 <= lo <= hi:
        raise ValueError(f"sigma_range must be (low, high) with 0 <= low <= high, got {sigma_range!r}")
    for value, name in ((impulse, "impulse"), (band_fraction, "band_fraction")):
        if not 0 <= float(value) <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    check_nonnegative(sigma_scale, "sigma_scale")
    h, w, b = x.shape
    if not 0 <= int(lines) <= w:
        raise ValueError(f"lines must be in [0, {w}] (the image width), got {lines!r}")
    n_bands = int(round(float(band_fraction) * b))
    return _mixed_noise(key, x, jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32),
                        jnp.asarray(float(sigma_scale), jnp.float32), jnp.asarray(float(impulse), jnp.float32),
                        lines=int(lines), n_bands=n_bands)


@functools.partial(jax.jit, static_argnames=("lines", "n_bands"))
def _mixed_noise(key, x, lo, hi, sigma_scale, impulse, *, lines, n_bands):
    """The traced part of :func:`mixed_noise` (one compiled program per shape, ``lines`` and band count)."""
    h, w, b = x.shape
    k_sig, k_noise, k_imp, k_salt, k_sb, k_db, k_pos, k_shift = jax.random.split(key, 8)
    sigma = (jax.random.uniform(k_sig, (b,), minval=lo, maxval=hi) * sigma_scale).astype(x.dtype)
    y = x + sigma * jax.random.normal(k_noise, x.shape, x.dtype)
    hit = jax.random.uniform(k_imp, x.shape) < impulse
    y = jnp.where(hit, jax.random.bernoulli(k_salt, 0.5, x.shape).astype(x.dtype), y)

    def column_mask(k):  # (b, w): `lines` random columns per band
        order = jnp.argsort(jax.random.uniform(k, (b, w)), axis=1)
        return jnp.zeros((b, w), bool).at[jnp.arange(b)[:, None], order[:, :lines]].set(True)

    k_pos_s, k_pos_d = jax.random.split(k_pos)
    stripe_bands = jnp.zeros(b, bool).at[jax.random.permutation(k_sb, b)[:n_bands]].set(True)
    dead_bands = jnp.zeros(b, bool).at[jax.random.permutation(k_db, b)[:n_bands]].set(True)
    stripes = column_mask(k_pos_s) & stripe_bands[:, None]
    shift = jax.random.uniform(k_shift, (b, w), minval=-0.25, maxval=0.25)
    y = y + jnp.where(stripes, shift, 0.0).T[None, :, :]
    dead = column_mask(k_pos_d) & dead_bands[:, None]
    return jnp.where(dead.T[None, :, :], 0.0, y).astype(x.dtype)


def spectral_cube(rgb, bands: int = 16, *, wavelengths=(400.0, 700.0), centres=(610.0, 550.0, 465.0),
                  width: float = 45.0, floor: float = 0.1):
    """A test hyperspectral cube ``(H, W, bands)`` from a real RGB image (no free HSI can be installed here).

    Linear mixing with the image's R, G, B channels as abundance maps and three smooth synthetic endmember
    spectra ``E_k(λ) = floor + exp(−(λ − c_k)² / (2 width²))`` (centres ``centres`` in nm) sampled at ``bands``
    wavelengths evenly spaced in ``wavelengths``: ``cube[..., j] = Σ_k rgb[..., k] E_k(λ_j)``, scaled so that the
    largest value is 1.  Spatial structure is real; spectra are synthetic and the cube has rank ≤ 3 along the
    bands (real HSIs are approximately low rank too).
    """
    x = as_float_array(rgb, "rgb", ranks=(3,))
    if x.shape[-1] != 3:
        raise ValueError(f"rgb must be (H, W, 3), got shape {tuple(x.shape)}")
    n = _int(bands, "bands")
    if n < 2:
        raise ValueError(f"bands must be >= 2, got {bands!r}")
    lam = np.linspace(float(wavelengths[0]), float(wavelengths[1]), n)
    ends = floor + np.exp(-0.5 * ((lam[None, :] - np.asarray(centres, float)[:, None]) / width) ** 2)  # (3, n)
    cube = x @ jnp.asarray(ends, x.dtype)
    return cube / jnp.maximum(jnp.max(cube), jnp.finfo(x.dtype).tiny)


# ------------------------------------------------------------------ sample images

# name -> scikit-image loader; all bundled with the scikit-image wheel (no download).
_SAMPLES = {
    "astronaut": "astronaut",
    "brick": "brick",
    "camera": "camera",
    "chelsea": "chelsea",
    "clock": "clock",
    "coffee": "coffee",
    "coins": "coins",
    "grass": "grass",
    "gravel": "gravel",
    "hubble_deep_field": "hubble_deep_field",
    "immunohistochemistry": "immunohistochemistry",
    "moon": "moon",
    "rocket": "rocket",
}


def sample_names() -> tuple:
    """Names accepted by :func:`sample_image`."""
    return tuple(sorted(_SAMPLES))


def sample_image(name: str = "astronaut", *, size=None):
    """A real photograph from scikit-image's bundled data, float32 in [0, 1].

    Colour photos are ``(H, W, 3)``, gray ones (``camera``, ``moon``,
    ``coins``, ...) ``(H, W, 1)``.  With ``size=None`` the full image is
    returned; with an integer ``size`` the largest centred square is cropped
    and resized (Pillow, Lanczos) to ``size x size``.  Needs scikit-image
    (``ImportError`` otherwise); an unknown name raises ``ValueError``.
    """
    if name not in _SAMPLES:
        raise ValueError(f"unknown sample image {name!r}; choose one of {', '.join(sample_names())}")
    if size is not None:
        size = _int(size, "size")
        if size <= 0:
            raise ValueError(f"size must be a positive integer, got {size}")
    try:
        import skimage.data
    except ImportError:
        raise ImportError("sample_image needs scikit-image: pip install scikit-image") from None
    arr = np.asarray(getattr(skimage.data, _SAMPLES[name])())
    if arr.dtype != np.uint8:
        raise ValueError(f"sample image {name!r} has unexpected dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if size is not None:
        h, w = arr.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        crop = arr[top : top + s, left : left + s]
        arr = np.asarray(Image.fromarray(crop).resize((size, size), _LANCZOS))
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return jnp.asarray(arr, dtype=jnp.float32) / 255.0


# ------------------------------------------------------------------ synthetic images


def clipart(key, shape=(64, 64, 3), *, num_shapes: int = 6):
    """Synthetic clip-art: flat-coloured random shapes on a flat background.

    Draws ``num_shapes`` rectangles, ellipses and triangles (without
    anti-aliasing, so the image is exactly piecewise constant with at most
    ``num_shapes + 1`` distinct colours).  All parameters come from a NumPy
    generator seeded from ``key``, so the result is deterministic given the
    key.  ``shape`` is ``(H, W)`` or ``(H, W, C)`` with ``C`` 1 or 3; returns
    float32 ``(H, W, C)`` (``(H, W, 1)`` for ``(H, W)``) with values ``k/255``.
    Host function: ``key`` must be concrete (not jit-able).
    """
    shp = _image_shape(shape)
    h, w = shp[:2]
    c = shp[2] if len(shp) == 3 else 1
    if c not in (1, 3):
        raise ValueError(f"clipart needs 1 or 3 channels, got shape {tuple(shape)}")
    n = _int(num_shapes, "num_shapes")
    if n < 0:
        raise ValueError(f"num_shapes must be non-negative, got {num_shapes!r}")
    seed = int(jax.random.randint(key, (), 0, 2**31 - 1))
    rng = np.random.default_rng(seed)

    mode = "RGB" if c == 3 else "L"

    def colour():
        v = rng.integers(0, 256, size=3)
        return tuple(int(t) for t in v) if c == 3 else int(v[0])

    img = Image.new(mode, (w, h), colour())
    draw = ImageDraw.Draw(img)
    for _ in range(n):
        kind = rng.integers(3)
        sw = max(1.0, rng.uniform(0.15, 0.6) * w)
        sh = max(1.0, rng.uniform(0.15, 0.6) * h)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        box = [cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2]
        fill = colour()
        if kind == 0:
            draw.rectangle(box, fill=fill)
        elif kind == 1:
            draw.ellipse(box, fill=fill)
        else:
            pts = [(float(cx + sw * rng.uniform(-0.6, 0.6)), float(cy + sh * rng.uniform(-0.6, 0.6))) for _ in range(3)]
            draw.polygon(pts, fill=fill)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return jnp.asarray(arr)
