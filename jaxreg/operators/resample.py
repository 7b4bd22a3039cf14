"""Anti-aliased decimation: the forward model of super-resolution, ``y = S (k ⋆ x)``.

An ``(H, W, C)`` high-resolution image ``x`` (``H = f·h``, ``W = f·w``) is filtered by a 2-D kernel ``k`` and
sampled every ``f`` pixels along both spatial axes, giving the ``(h, w, C)`` observation

    y_{j,l} = Σ_{s,t} k_{s,t} · x_{f j + o_h + s, f l + o_w + t},      o = −⌊(kh − f) / 2⌋            (1)

(each channel independently).  The offset ``o`` puts the kernel's centre, index ``(kh − 1)/2``, on the centre of
the LR pixel's ``f × f`` block, ``f j + (f − 1)/2`` (exactly when ``kh − f`` is even, as for every named kernel
below; half a pixel earlier otherwise).  This is the ``Downsampler(..., phase=0.5, preserve_size=True)`` of the
deep image prior code (Ulyanov, Vedaldi & Lempitsky, CVPR 2018): a ``4f × 4f`` Lanczos-2 kernel, edge
(replicate) padding of ``(kh − f)/2`` pixels, a stride-``f`` convolution.

Boundaries: ``"replicate"`` reads pixels outside the image from the nearest edge (the DIP code's padding; the
default); ``"circular"`` wraps around, which makes ``AᵀA`` block-diagonal in the DFT (the polyphase structure
used by :func:`jaxreg.operators.solve_normal`).

Named kernels (:func:`resampling_kernel`), separable, sampled at the HR pixel centres relative to the LR pixel
centre in units of LR pixels, ``u = p / f``, and normalised to sum to 1:

* ``"lanczos2"`` — ``sinc(u)·sinc(u/2)`` on ``|u| < 2`` (the DIP code's ``lanczos2``, ``4f × 4f`` for even ``f``);
* ``"bicubic"`` — Keys' cubic convolution with ``a = −0.5`` on ``|u| < 2`` (MATLAB's ``imresize`` antialiasing
  kernel);
* ``"box"`` — the mean of each ``f × f`` block.
"""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp

from .._checks import is_concrete
from .._pytree import pytree_dataclass, set_fields, static
from .base import LinearOperator
from .fourier import SPATIAL_AXES, check_kernel

KERNELS = ("lanczos2", "bicubic", "box")
BOUNDARIES = ("replicate", "circular")


def check_factor(factor) -> int:
    """Validate an integer decimation factor ≥ 2 and return it as ``int``."""
    if isinstance(factor, (bool, str, bytes)) or factor is None:
        raise ValueError(f"factor must be an integer >= 2, got {factor!r}")
    try:
        value = float(factor)
    except (TypeError, ValueError):
        raise ValueError(f"factor must be an integer >= 2, got {factor!r}") from None
    if not np.isfinite(value) or value != int(value):
        raise ValueError(f"factor must be an integer >= 2, got {factor!r} (not an integer)")
    if int(value) < 2:
        raise ValueError(f"factor must be an integer >= 2, got {factor!r}")
    return int(value)


def _keys_cubic(u, a=-0.5):
    u = np.abs(u)
    near = ((a + 2) * u - (a + 3)) * u * u + 1
    far = ((a * u - 5 * a) * u + 8 * a) * u - 4 * a
    return np.where(u <= 1, near, np.where(u < 2, far, 0.0))


def resampling_kernel(name: str, factor) -> np.ndarray:
    """The 2-D anti-aliasing kernel ``name`` (module docstring) for decimation by ``factor``; float64, sums to 1."""
    f = check_factor(factor)
    if name not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS} or a 2-D array, got {name!r}")
    if name == "box":
        taps = np.full(f, 1.0 / f)
    else:
        support = 2
        n = 2 * support * f - (f % 2)  # kh − f even: the taps sit on HR pixel centres around the LR centre
        u = (np.arange(n) - (n - 1) / 2.0) / f
        taps = np.sinc(u) * np.sinc(u / support) if name == "lanczos2" else _keys_cubic(u)
        taps = np.where(np.abs(u) < support, taps, 0.0)
    k = np.outer(taps, taps)
    return k / k.sum()


def check_resampling_kernel(kernel, factor: int, hr_shape) -> jnp.ndarray:
    """Validate a kernel (a name of :data:`KERNELS` or a 2-D array) for an HR image; return it as a float array.

    Raises ``ValueError`` when an array is not 2-D, is empty, holds NaN/Inf or does not sum to 1 (to 1e-4: an
    anti-aliasing filter preserves the mean), or when the kernel is larger than the high-resolution image.
    """
    if isinstance(kernel, str):
        k = resampling_kernel(kernel, factor)
    else:
        k = np.asarray(check_kernel(kernel, hr_shape), np.float64)  # 2-D, non-empty, finite, fits the image
        if abs(k.sum() - 1.0) > 1e-4:
            raise ValueError(f"kernel must sum to 1 (an anti-aliasing filter keeps the mean), got sum {k.sum():.6g}")
    h, w = (hr_shape[a] for a in SPATIAL_AXES)
    if k.shape[0] > h or k.shape[1] > w:
        raise ValueError(f"the {k.shape[0]}x{k.shape[1]} kernel does not fit the {h}x{w} high-resolution image: "
                         f"the observation must be at least {-(-k.shape[0] // factor)}x{-(-k.shape[1] // factor)} "
                         f"pixels for factor {factor}")
    return jnp.asarray(k, dtype=float)  # float32, or float64 under jax_enable_x64


def decimation_offsets(kernel_shape, factor: int) -> tuple:
    """The offsets ``o = −⌊(k − f)/2⌋`` of (1) along the two spatial axes."""
    return tuple(-((n - factor) // 2) for n in kernel_shape)


def correlation_otf(kernel, factor: int, hr_shape):
    """DFT (over the spatial axes, shape ``(H, W, 1)``) of the circular filter ``z_i = Σ_s k_s x_{i + o + s}``."""
    h, w = (hr_shape[a] for a in SPATIAL_AXES)
    kh, kw = kernel.shape
    oh, ow = decimation_offsets(kernel.shape, factor)
    a = jnp.roll(jnp.zeros((h, w), kernel.dtype).at[:kh, :kw].set(kernel), (oh, ow), axis=(0, 1))
    return jnp.conj(jnp.fft.fft2(a))[:, :, None]


def _replicate_decimate(x, kernel, factor: int):
    """(1) with edge padding, as one strided convolution (channels and leading axes batched)."""
    kh, kw = kernel.shape
    lead, (hh, ww, c) = x.shape[:-3], x.shape[-3:]
    h, w = hh // factor, ww // factor
    oh, ow = decimation_offsets(kernel.shape, factor)
    # HR indices read: o .. (n − 1) f + o + k − 1 along each axis
    before = (max(0, -oh), max(0, -ow))
    after = (max(0, (h - 1) * factor + oh + kh - hh), max(0, (w - 1) * factor + ow + kw - ww))
    pad = [(0, 0)] * len(lead) + [(before[0], after[0]), (before[1], after[1]), (0, 0)]
    xp = jnp.pad(x, pad, mode="edge")
    r0, c0 = oh + before[0], ow + before[1]
    xp = xp[..., r0:r0 + (h - 1) * factor + kh, c0:c0 + (w - 1) * factor + kw, :]
    hp, wp = xp.shape[-3:-1]
    batch = jnp.moveaxis(xp.reshape((-1, hp, wp, c)), -1, 1).reshape(-1, 1, hp, wp)
    y = jax.lax.conv_general_dilated(batch, kernel.astype(x.dtype)[None, None], (factor, factor), "VALID",
                                     precision=jax.lax.Precision.HIGHEST)
    return jnp.moveaxis(y.reshape((-1, c, h, w)), 1, -1).reshape(lead + (h, w, c))


@pytree_dataclass(init=False)
class Decimation(LinearOperator):
    """``x ↦ S (k ⋆ x)``, (1): anti-aliasing filter and decimation by ``factor`` (module docstring).

    ``in_shape`` is the high-resolution shape ``(…, H, W, C)``, both ``H`` and ``W`` multiples of ``factor``;
    ``kernel`` is a name of :data:`KERNELS` or a 2-D array summing to 1; ``boundary`` ``"replicate"`` or
    ``"circular"``.  The adjoint is explicit for the circular boundary (zero-filling and the conjugate filter),
    automatic (``jax.linear_transpose``) for replicate.
    """

    @classmethod
    def example(cls, key, shape=(12, 12, 2)):
        """A small random instance (used by the adjoint test every operator joins)."""
        k = jax.random.uniform(key, (5, 4)) + 0.1
        return cls(k / k.sum(), 3, shape, boundary="replicate" if jax.random.bernoulli(key) else "circular")

    kernel: jnp.ndarray = None
    otf: jnp.ndarray | None = None
    factor: int = static(default=2)
    boundary: str = static(default="replicate")

    def __init__(self, kernel, factor, in_shape, boundary: str = "replicate"):
        in_shape = tuple(int(n) for n in in_shape)
        f = check_factor(factor)
        if boundary not in BOUNDARIES:
            raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
        if len(in_shape) < 3:
            raise ValueError(f"images are (H, W, C) (or (T, H, W, C)), got shape {in_shape}")
        hh, ww = (in_shape[a] for a in SPATIAL_AXES)
        if min(in_shape) < 1:
            raise ValueError(f"images must have at least one pixel and one channel, got shape {in_shape}")
        if hh % f or ww % f:
            raise ValueError(f"the high-resolution size {hh}x{ww} is not a multiple of the factor {f}")
        k = kernel if not is_concrete(kernel) else check_resampling_kernel(kernel, f, in_shape)
        otf = correlation_otf(k, f, in_shape) if boundary == "circular" else None
        set_fields(self, in_shape=in_shape, kernel=k, otf=otf, factor=f, boundary=boundary)

    def apply(self, x):
        if self.boundary == "replicate":
            return _replicate_decimate(x, self.kernel, self.factor)
        z = jnp.real(jnp.fft.ifft2(jnp.fft.fft2(x, axes=SPATIAL_AXES) * self.otf, axes=SPATIAL_AXES))
        return z[..., ::self.factor, ::self.factor, :].astype(x.dtype)

    def adjoint(self, y):
        if self.boundary == "replicate":
            return super().adjoint(y)
        f = self.factor
        up = jnp.zeros(y.shape[:-3] + tuple(self.in_shape[-3:]), y.dtype).at[..., ::f, ::f, :].set(y)
        z = jnp.fft.ifft2(jnp.fft.fft2(up, axes=SPATIAL_AXES) * jnp.conj(self.otf), axes=SPATIAL_AXES)
        return jnp.real(z).astype(y.dtype)


def polyphase_solve(b, otf, factor: int, phi, rho):
    """Solve ``(Φ + ρ AᵀA) x = b`` for circular ``A = S K`` and ``Φ`` diagonal in the DFT, exactly.

    Zhao, Wang, Dobigeon, Basarab, Kouamé & Tourneret, "Fast single image super-resolution using a new analytical
    solution for ℓ2–ℓ2 problems", IEEE TIP 2016.  Decimation by ``f`` folds the spectrum: ``(SᵀS z)^(κ) =
    f⁻² Σ_{a,b} ẑ(κ + (a h, b w))``.  So the DFT splits the system into ``h·w`` independent groups of the ``f²``
    HR frequencies that alias to one LR frequency, and in each group the matrix is diagonal plus rank one,

        M = diag(φ) + c ḡ gᵀ,      c = ρ / f²,  g = the filter's DFT on the group,                      (2)

    solved by Sherman–Morrison (their Woodbury identity, whose LR-domain inverse is a scalar per group):
    ``x = Φ⁻¹b − c Φ⁻¹ḡ (gᵀΦ⁻¹b) / (1 + c gᵀΦ⁻¹ḡ)``.  A group where one ``φ_i`` is 0 (the DC frequency when
    ``μ = 0`` and only difference terms regularise) is still solved exactly: row ``i`` of (2) gives
    ``gᵀx = b_i / (c ḡ_i)``, the other rows then give ``x_j = (b_j − c ḡ_j gᵀx) / φ_j``, and ``gᵀx`` gives ``x_i``.
    Two or more zeros of ``φ`` in one group make ``M`` singular (``μ = 0`` with a difference along one spatial
    axis only, or no regulariser at all): the result is then not a least-squares solution.  No method of jaxreg
    builds such a system (they regularise both axes or have ``μ > 0``).

    ``b`` is ``(…, H, W, C)``; ``otf`` is ``g`` on the full grid, ``(H, W, 1)``; ``phi`` is the real DFT symbol of
    ``Φ`` broadcastable to ``b`` (it may vary along the channel or time axis: those axes are transformed too).
    """
    f = factor
    ndim = b.ndim
    phi = jnp.asarray(phi, b.real.dtype)
    phi = jnp.broadcast_to(phi.reshape((1,) * (ndim - phi.ndim) + phi.shape), b.shape)
    extra = tuple(a for a in range(ndim - 3) if phi.shape[a] > 1) + ((ndim - 1,) if phi.shape[-1] > 1 else ())
    axes = tuple(sorted(set(extra) | {ndim - 3, ndim - 2}))
    spectrum = jnp.fft.fftn(b, axes=axes)
    hh, ww = b.shape[-3:-1]
    h, w = hh // f, ww // f
    grouped = lambda a: a.reshape(a.shape[:-3] + (f, h, f, w) + a.shape[-1:])  # noqa: E731 - κ = (a·h + k, b·w + l)
    bg, pg = grouped(spectrum), grouped(phi)
    g = grouped(jnp.broadcast_to(otf, otf.shape[:2] + (1,)))
    group_axes = (-5, -3)
    total = lambda a: jnp.sum(a, axis=group_axes, keepdims=True)  # noqa: E731
    c = jnp.asarray(rho, pg.dtype) / (f * f)
    zero = pg == 0
    safe = jnp.where(zero, 1.0, pg)
    # regular groups: Sherman–Morrison
    inv_b, inv_g = bg / safe, jnp.conj(g) / safe
    regular = inv_b - c * inv_g * total(g * inv_b) / (1.0 + c * total(g * inv_g))
    # groups with one zero of φ (index i): gᵀx from row i, then the other entries
    g_i, b_i = total(jnp.where(zero, g, 0.0)), total(jnp.where(zero, bg, 0.0))
    nz = jnp.abs(g_i) > 0
    s = jnp.where(nz, b_i / jnp.where(nz, c * jnp.conj(g_i), 1.0), 0.0)
    others = jnp.where(zero, 0.0, (bg - c * jnp.conj(g) * s) / safe)
    x_i = jnp.where(nz, (s - total(g * others)) / jnp.where(nz, g_i, 1.0), 0.0)
    singular = jnp.where(zero, x_i, others)
    x = jnp.where(jnp.any(zero, axis=group_axes, keepdims=True), singular, regular)
    x = x.reshape(b.shape)
    return jnp.real(jnp.fft.ifftn(x, axes=axes)).astype(b.dtype)


__all__ = ["BOUNDARIES", "KERNELS", "Decimation", "check_factor", "check_resampling_kernel", "correlation_otf",
           "decimation_offsets", "polyphase_solve", "resampling_kernel"]
