"""Image-quality metrics: MSE, PSNR, SSIM, SAM and ERGAS.

Images are float arrays ``(H, W, C)`` (gray is ``(H, W, 1)``) without a batch
axis; every metric returns a scalar and is pure ``jax.numpy`` / ``jax.lax``, so
it can be jitted, vmapped over a stack of images and differentiated.  Shapes
and dtypes are validated eagerly (also under ``jit``, where shapes are
static); value checks such as ``data_range > 0`` run only on concrete values.

PSNR and both SSIM modes reproduce ``skimage.metrics`` (see each docstring).
"""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp

from ._checks import as_float_array, is_concrete

__all__ = ["mse", "psnr", "psnr_y", "mpsnr", "ssim", "sam", "ergas"]

_ANY_RANK = object()


def _pair(image, reference, ranks):
    """Validate ``image`` and ``reference`` and check that their shapes agree."""
    arrays = []
    for x, name in ((image, "image"), (reference, "reference")):
        if ranks is _ANY_RANK:
            nd = 2 if isinstance(x, (str, bytes)) or x is None else np.ndim(x)
            if nd < 2:
                raise ValueError(f"{name} must have rank >= 2, got shape {np.shape(x)}")
            arrays.append(as_float_array(x, name, ranks=(nd,)))
        else:
            arrays.append(as_float_array(x, name, ranks=ranks))
    x, r = arrays
    if x.shape != r.shape:
        raise ValueError(f"image and reference shapes differ: {tuple(x.shape)} vs {tuple(r.shape)}")
    dtype = jnp.promote_types(x.dtype, r.dtype)
    return x.astype(dtype), r.astype(dtype)


def _check_positive(value, name):
    """Raise ``ValueError`` unless a concrete scalar ``value`` is finite and > 0."""
    if value is None:
        raise ValueError(f"{name} must be a positive number, got None")
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a scalar, got shape {np.shape(value)}")
    if is_concrete(value):
        v = float(np.asarray(value))
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be positive and finite, got {value!r}")


def mse(image, reference):
    """Mean squared error ``mean((image - reference)**2)`` over all elements (rank >= 2)."""
    x, r = _pair(image, reference, _ANY_RANK)
    return jnp.mean(jnp.square(x - r))


def psnr(image, reference, *, data_range):
    """Peak signal-to-noise ratio in dB.

    ``PSNR = 10 log10(data_range**2 / MSE)`` with the MSE taken over all
    elements (any rank >= 2).  Identical images give ``+inf``.  Matches
    ``skimage.metrics.peak_signal_noise_ratio(reference, image,
    data_range=data_range)``.  ``data_range`` is the dynamic range of the
    data (1 for images in [0, 1]); it is required so that the value is never
    silently estimated from the image.
    """
    _check_positive(data_range, "data_range")
    err = mse(image, reference)
    dr = jnp.asarray(data_range, err.dtype)
    return 10.0 * jnp.log10(jnp.square(dr) / err)


def psnr_y(image, reference, *, data_range, border: int = 0):
    """PSNR (dB) of the luma channel with ``border`` pixels cropped from every side: the figure of super-resolution
    papers.

    Luma is ITU-R BT.601 studio-swing ``Y = 16/255 + (65.481 R + 128.553 G + 24.966 B)/255`` (MATLAB's
    ``rgb2ycbcr`` for images in [0, 1]; scaled by ``data_range`` otherwise), the PSNR peak is ``data_range``, and
    SR papers crop ``border = factor`` pixels (the DIP and DRP evaluation scripts crop the scale factor too).
    Inputs are RGB ``(H, W, 3)``; a one-channel image is its own luma.
    """
    x, r = _pair(image, reference, (3,))
    _check_positive(data_range, "data_range")
    if isinstance(border, bool) or int(border) != border:
        raise ValueError(f"border must be a whole number of pixels, got {border!r}")
    b = int(border)
    if b < 0 or 2 * b >= min(x.shape[0], x.shape[1]):
        raise ValueError(f"border must be >= 0 and leave pixels inside the {x.shape[0]}x{x.shape[1]} image, got {border}")
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"psnr_y takes RGB (H, W, 3) or gray (H, W, 1) images, got {x.shape[-1]} channels")
    if x.shape[-1] == 3:
        w = jnp.asarray([65.481, 128.553, 24.966], x.dtype) / 255.0
        dr = jnp.asarray(data_range, x.dtype)
        x, r = (16.0 / 255.0 * dr + a @ w for a in (x, r))
    else:
        x, r = x[..., 0], r[..., 0]
    if b:
        x, r = x[b:-b, b:-b], r[b:-b, b:-b]
    return 10.0 * jnp.log10(jnp.square(jnp.asarray(data_range, x.dtype)) / jnp.mean(jnp.square(x - r)))


def mpsnr(image, reference, *, data_range):
    """Mean over bands of the per-band PSNR (dB), the "MPSNR" of hyperspectral and video restoration papers.

    Band ``b`` runs over the last axis: ``mean_b 10 log10(data_range² / MSE_b)`` with ``MSE_b`` over all other
    axes.  It differs from :func:`psnr` (one MSE over everything) when the bands' errors differ.  Inputs are
    ``(H, W, C)`` or ``(T, H, W, C)``.  (The band mean of SSIM is :func:`ssim` itself: it already averages over
    channels with equal weights.)
    """
    x, r = _pair(image, reference, (3, 4))
    _check_positive(data_range, "data_range")
    mse_b = jnp.mean(jnp.square(x - r), axis=tuple(range(x.ndim - 1)))
    return jnp.mean(10.0 * jnp.log10(jnp.square(jnp.asarray(data_range, x.dtype)) / mse_b))


def _window_1d(window, dtype):
    """Return the normalised 1-D taps and the covariance factor for ``window``."""
    if window == "uniform":
        n = 7
        taps = np.full(n, 1.0 / n)
        cov_norm = n * n / (n * n - 1.0)  # sample covariance over N = 49 pixels
    elif window == "gaussian":
        sigma, truncate = 1.5, 3.5
        radius = int(truncate * sigma + 0.5)  # 5 -> 11 taps
        t = np.arange(-radius, radius + 1, dtype=np.float64)
        taps = np.exp(-0.5 * (t / sigma) ** 2)
        taps /= taps.sum()
        cov_norm = 1.0  # population covariance (Wang et al. 2004)
    else:
        raise ValueError(f"unknown SSIM window {window!r}; expected 'uniform' or 'gaussian'")
    return jnp.asarray(taps, dtype), cov_norm


def _filter_valid(stack, taps):
    """Separable VALID correlation of an ``(H, W, K)`` stack with ``taps`` along H then W.

    Written as a weighted sum of shifted slices: exact float32 arithmetic on
    every backend (no reduced-precision convolution path) and faster on CPUs
    than a depthwise convolution for these 7- and 11-tap windows.
    """
    k = taps.shape[0]
    out = stack
    for axis in (0, 1):
        n = out.shape[axis] - k + 1
        out = sum(taps[i] * jax.lax.slice_in_dim(out, i, i + n, axis=axis) for i in range(k))
    return out


def ssim(image, reference, *, data_range, window="uniform"):
    """Mean structural similarity index (Wang et al., IEEE TIP 13(4), 2004).

    For each channel and each window position with local means ``mx, my``,
    variances ``vx, vy`` and covariance ``vxy``::

        SSIM = (2 mx my + C1)(2 vxy + C2) / ((mx^2 + my^2 + C1)(vx + vy + C2)),
        C1 = (0.01 L)^2,  C2 = (0.03 L)^2,  L = data_range,

    and the result is the mean over all positions and channels.  Only window
    positions fully inside the image are used (VALID filtering), which is the
    border crop that scikit-image applies.

    ``window="uniform"``: 7x7 box, sample covariance (factor N/(N-1), N=49);
    equals ``skimage.metrics.structural_similarity(reference, image,
    data_range=L, channel_axis=-1)``.

    ``window="gaussian"``: separable Gaussian, sigma=1.5, truncated at 3.5
    sigma (11 taps, normalised), population covariance; equals scikit-image
    with ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``.

    Inputs are ``(H, W)`` or ``(H, W, C)`` with H, W at least the window size.
    """
    x, r = _pair(image, reference, (2, 3))
    _check_positive(data_range, "data_range")
    taps, cov_norm = _window_1d(window, x.dtype)
    if x.ndim == 2:
        x, r = x[..., None], r[..., None]
    size = taps.shape[0]
    if x.shape[0] < size or x.shape[1] < size:
        raise ValueError(
            f"image of shape {tuple(x.shape)} is smaller than the {size}x{size} {window} SSIM window"
        )
    # Second moments do not depend on a constant shift; removing the global mean
    # first limits cancellation in E[x^2] - E[x]^2 in float32.
    xc, rc = x - jnp.mean(x), r - jnp.mean(r)
    stack = jnp.concatenate([x, r, xc * xc, rc * rc, xc * rc], axis=-1)
    mx, mr, mxx, mrr, mxr = jnp.split(_filter_valid(stack, taps), 5, axis=-1)
    mxc, mrc = mx - jnp.mean(x), mr - jnp.mean(r)
    vx = cov_norm * (mxx - mxc * mxc)
    vr = cov_norm * (mrr - mrc * mrc)
    vxr = cov_norm * (mxr - mxc * mrc)
    dr = jnp.asarray(data_range, x.dtype)
    c1, c2 = jnp.square(0.01 * dr), jnp.square(0.03 * dr)
    num = (2.0 * mx * mr + c1) * (2.0 * vxr + c2)
    den = (mx * mx + mr * mr + c1) * (vx + vr + c2)
    return jnp.mean(num / den)


def sam(image, reference):
    """Mean spectral angle mapper in degrees.

    For every pixel the angle between the last-axis (spectral) vectors ``x``
    and ``r`` is ``arccos(clip(<x, r> / (|x| |r|), -1, 1))``.  It is evaluated
    in the mathematically identical but better-conditioned form
    ``2 atan2(|u - v|, |u + v|)`` with ``u = x/|x|``, ``v = r/|r|`` (Kahan),
    which stays accurate for nearly parallel vectors in float32.  Pixels where
    either vector has zero norm have no defined angle and are left out of the
    mean (a masked mean, jit-safe); if no pixel is valid the result is NaN.
    Inputs are ``(H, W, C)`` or ``(T, H, W, C)``.  Reference: Kruse et al.,
    Remote Sens. Environ. 44 (1993).
    """
    x, r = _pair(image, reference, (3, 4))
    nx = jnp.linalg.norm(x, axis=-1, keepdims=True)
    nr = jnp.linalg.norm(r, axis=-1, keepdims=True)
    valid = (nx > 0) & (nr > 0)
    u = x / jnp.where(valid, nx, 1.0)
    v = r / jnp.where(valid, nr, 1.0)
    angle = 2.0 * jnp.arctan2(jnp.linalg.norm(u - v, axis=-1), jnp.linalg.norm(u + v, axis=-1))
    valid = valid[..., 0]
    total = jnp.sum(jnp.where(valid, angle, 0.0))
    return jnp.degrees(total / jnp.sum(valid))


def ergas(image, reference, *, ratio=1.0):
    """Relative dimensionless global error in synthesis (ERGAS).

    ``ERGAS = 100 * ratio * sqrt(mean_b (RMSE_b / mu_b)^2)`` where band ``b``
    runs over the last axis, ``RMSE_b`` is the root-mean-square error of band
    ``b`` and ``mu_b`` the mean of the reference band (a band with zero mean
    gives ``inf``).  ``ratio`` is the ratio of pixel sizes (e.g. 1/4 for 4x
    pan-sharpening; 1 for same-resolution restoration).  Inputs are
    ``(H, W, C)`` or ``(T, H, W, C)``.  Reference: Wald, "Data Fusion" (2002).
    """
    x, r = _pair(image, reference, (3, 4))
    _check_positive(ratio, "ratio")
    axes = tuple(range(x.ndim - 1))
    mse_b = jnp.mean(jnp.square(x - r), axis=axes)
    mu_b = jnp.mean(r, axis=axes)
    return 100.0 * ratio * jnp.sqrt(jnp.mean(mse_b / jnp.square(mu_b)))
