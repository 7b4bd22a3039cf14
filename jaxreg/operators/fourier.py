"""Operators diagonal in the DFT: circular convolution, difference symbols, FFT solves.

Circular convolution with a kernel ``h`` centred at ``(kh//2, kw//2)`` acts on
the two spatial axes ``(−3, −2)`` of ``(H, W, C)`` images (and ``(T, H, W, C)``
video), each channel independently: ``(K x)_i = Σ_k h_k x_{i−k+c}``.

On an N-periodic axis the forward difference has symbol
``1 − e^{2πik/N}``, so ``DᵀD`` has the real symbol ``2 − 2 cos(2πk/N)``.  Sums
``μI + ρKᵀK + Σ wᵢ DᵢᵀDᵢ`` are therefore diagonalised by the DFT over all
axes of the image and inverted exactly (Wang, Yang, Yin & Zhang, "A new
alternating minimization algorithm for total variation image
reconstruction", SIAM J. Imaging Sci. 2008).
"""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp

from .._checks import is_concrete
from .._pytree import pytree_dataclass, set_fields, static
from .base import LinearOperator

SPATIAL_AXES = (-3, -2)


def check_kernel(kernel, image_shape, *, positive_sum: bool = False):
    """Validate a 2-D kernel against an image shape; return it as a float array.

    Raises ``ValueError`` when the kernel is not a non-empty 2-D numeric array,
    holds NaN/Inf, is larger than the image's spatial size or (with
    ``positive_sum``, as for blur kernels) does not have a positive sum.
    """
    if isinstance(kernel, (str, bytes)) or kernel is None:
        raise ValueError(f"kernel must be a 2-D array, got {type(kernel).__name__}")
    if is_concrete(kernel):
        try:
            kernel = np.asarray(kernel, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"kernel must be a 2-D numeric array: {err}") from None
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (kh, kw), got shape {tuple(kernel.shape)}")
    kh, kw = kernel.shape
    h, w = (image_shape[i] for i in SPATIAL_AXES)
    if kh == 0 or kw == 0:
        raise ValueError(f"kernel must be non-empty, got shape {tuple(kernel.shape)}")
    if kh > h or kw > w:
        raise ValueError(f"kernel of shape {kh}x{kw} is larger than the image ({h}x{w})")
    if is_concrete(kernel):
        if not np.all(np.isfinite(kernel)):
            raise ValueError("kernel contains non-finite values (NaN or Inf)")
        total = float(kernel.sum())
        if positive_sum and not total > 0:
            raise ValueError(f"kernel must have a positive sum, got {total!r}")
    return jnp.asarray(kernel, dtype=float)  # float32, or float64 under jax_enable_x64


def kernel_otf(kernel, image_shape):
    """DFT of ``kernel`` zero-padded to the spatial size, centre moved to the origin.

    Returned with shape ``(H, W, 1)`` (a singleton channel axis), broadcastable
    against ``(…, H, W, C)`` spectra.
    """
    h, w = (image_shape[i] for i in SPATIAL_AXES)
    kh, kw = kernel.shape
    padded = jnp.zeros((h, w), kernel.dtype).at[:kh, :kw].set(kernel)
    padded = jnp.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return jnp.fft.fft2(padded)[:, :, None]


def difference_symbol(shape, weights: dict):
    """Real DFT symbol of ``Σ wᵢ DᵢᵀDᵢ`` for circular differences along the axes in ``weights``.

    ``weights`` maps an axis to its weight (a float or a traced scalar).  The
    result broadcasts against ``shape``.
    """
    ndim = len(shape)
    total = jnp.zeros((1,) * ndim)
    for axis, w in weights.items():
        axis = axis % ndim
        n = shape[axis]
        sym = 2.0 - 2.0 * np.cos(2.0 * np.pi * np.arange(n) / n)
        total = total + w * jnp.asarray(sym).reshape([n if a == axis else 1 for a in range(ndim)])
    return total


def solve_diagonal_fft(b, symbol):
    """Solve ``M x = b`` where ``M`` is diagonal in the DFT over all axes of ``b`` with real symbol ``symbol``.

    Frequencies where the symbol is 0 (a singular system, e.g. ``μ = 0`` and a kernel
    with spectral zeros) get 0: the minimum-norm least-squares solution.
    """
    symbol = jnp.asarray(symbol)
    symbol = symbol.reshape((1,) * (b.ndim - symbol.ndim) + symbol.shape)
    # transform only the axes the symbol varies along: the others are independent problems
    axes = tuple(a for a in range(b.ndim) if symbol.shape[a] > 1) or (0,)
    nonzero = symbol != 0
    spectrum = jnp.fft.fftn(b, axes=axes)
    x = jnp.fft.ifftn(jnp.where(nonzero, spectrum / jnp.where(nonzero, symbol, 1.0), 0.0), axes=axes)
    return jnp.real(x).astype(b.dtype)


def _spatial_fft(x):
    return jnp.fft.fft2(x, axes=SPATIAL_AXES)


def _spatial_ifft(x, dtype):
    return jnp.real(jnp.fft.ifft2(x, axes=SPATIAL_AXES)).astype(dtype)


@pytree_dataclass(init=False)
class CircularConvolution(LinearOperator):
    """Circular (periodic) convolution with a 2-D kernel, by FFT; adjoint uses the conjugate OTF."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls(jax.random.uniform(key, (3, 4)), shape)

    otf: jnp.ndarray = None
    kernel: jnp.ndarray = None

    def __init__(self, kernel, in_shape):
        in_shape = tuple(in_shape)
        k = check_kernel(kernel, in_shape)
        set_fields(self, in_shape=in_shape, kernel=k, otf=kernel_otf(k, in_shape))

    def apply(self, x):
        return _spatial_ifft(_spatial_fft(x) * self.otf, x.dtype)

    def adjoint(self, y):
        return _spatial_ifft(_spatial_fft(y) * jnp.conj(self.otf), y.dtype)

    def symbol(self):
        """Real DFT symbol of KᵀK, ``|OTF|²``, shape ``(H, W, 1)``."""
        return jnp.abs(self.otf) ** 2
