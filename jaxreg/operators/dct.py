"""The DCT-II and its inverse from a real FFT of the same length, and exact solves of systems that are diagonal in
the DCT basis: ``(μ + ρ + Σ_a w_a D_aᵀD_a) x = b`` with Neumann (zero-flux) forward differences ``D_a``.

With ``D`` the forward difference whose last entry is 0 (the reflective/zero-flux boundary of scikit-image and
SCICO), ``DᵀD`` is the Neumann Laplacian, diagonalised by the DCT-II with eigenvalues ``2 − 2 cos(π k / n)``,
``k = 0 … n−1`` (Strang, "The discrete cosine transform", SIAM Review 1999, §3).

The transform (Makhoul, "A fast cosine transform in one and two dimensions", IEEE TASSP 1980): reorder
``v = (x₀, x₂, x₄, …, x₅, x₃, x₁)`` (even entries ascending, then odd entries descending), take the real FFT
``V = rfft(v)`` and read

    X_k = 2 Re(e^{−iπk/(2n)} V_k),   with V_k = conj(V_{n−k}) for k > n/2,

which is SciPy's unnormalised DCT-II, ``X_k = 2 Σ_j x_j cos(π k (2j + 1) / (2n))``.  The inverse reverses each
step: ``V_k = ½ e^{iπk/(2n)} (X_k − i X_{n−k})`` (``X_n = 0``), ``v = irfft(V)``, undo the reordering.  Each
direction costs one real FFT of length n (half a complex FFT of the same length, which
``jax.scipy.fft.dct`` takes).
"""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

__all__ = ["dct2", "idct2", "neumann_symbol", "solve_diagonal_dct"]


def _permutation(n):
    """``v = x[perm]``: even indices ascending, then odd indices descending."""
    even = np.arange(0, n, 2)
    odd = np.arange(1, n, 2)[::-1]
    return np.concatenate([even, odd])


def _twiddle(n, dtype):
    k = np.arange(n)
    return np.exp(-1j * np.pi * k / (2 * n)).astype(np.complex64 if dtype == jnp.float32 else np.complex128)


def _shape_for(n, axis, ndim):
    return [n if a == axis else 1 for a in range(ndim)]


def dct2(x, axis: int = -1):
    """Unnormalised DCT-II along ``axis`` (equals ``scipy.fft.dct(x, type=2, axis=axis)``)."""
    x = jnp.asarray(x)
    axis = axis % x.ndim
    n = x.shape[axis]
    v = jnp.take(x, jnp.asarray(_permutation(n)), axis=axis)
    V = jnp.fft.rfft(v, axis=axis)  # k = 0 … n//2
    m = V.shape[axis]
    # the other half by conjugate symmetry: V_k = conj(V_{n−k}) for k = m … n−1
    rest = jnp.conj(jnp.flip(jnp.take(V, jnp.arange(1, n - m + 1), axis=axis), axis=axis))
    full = jnp.concatenate([V, rest], axis=axis)
    w = jnp.asarray(_twiddle(n, x.dtype)).reshape(_shape_for(n, axis, x.ndim))
    return (2.0 * jnp.real(w * full)).astype(x.dtype)


def idct2(X, axis: int = -1):
    """Inverse of :func:`dct2` along ``axis`` (equals ``scipy.fft.idct(X, type=2, axis=axis)``)."""
    X = jnp.asarray(X)
    axis = axis % X.ndim
    n = X.shape[axis]
    m = n // 2 + 1
    head = jnp.take(X, jnp.arange(m), axis=axis)
    # X_{n−k} for k = 0 … m−1, with X_n = 0
    mirrored = jnp.take(X, jnp.asarray((n - np.arange(m)) % n), axis=axis)
    mirrored = mirrored * jnp.asarray((np.arange(m) > 0).astype(np.float32)).reshape(_shape_for(m, axis, X.ndim))
    w = jnp.conj(jnp.asarray(_twiddle(n, X.dtype)[:m])).reshape(_shape_for(m, axis, X.ndim))
    V = 0.5 * w * (head - 1j * mirrored)
    v = jnp.fft.irfft(V, n=n, axis=axis)
    inverse = np.argsort(_permutation(n))
    return jnp.take(v, jnp.asarray(inverse), axis=axis).astype(X.dtype)


def neumann_symbol(shape, weights: dict):
    """DCT-II symbol of ``Σ wᵢ DᵢᵀDᵢ`` for Neumann differences along the axes in ``weights`` (broadcasts against
    ``shape``): ``Σ wᵢ (2 − 2 cos(π k / nᵢ))``."""
    ndim = len(shape)
    total = jnp.zeros((1,) * ndim)
    for axis, w in weights.items():
        axis = axis % ndim
        n = shape[axis]
        sym = 2.0 - 2.0 * np.cos(np.pi * np.arange(n) / n)
        total = total + w * jnp.asarray(sym).reshape(_shape_for(n, axis, ndim))
    return total


def solve_diagonal_dct(b, symbol):
    """Solve ``M x = b`` where ``M`` is diagonal in the DCT-II over the axes ``symbol`` varies along.

    Frequencies where the symbol is 0 (``μ = ρ = 0``: the constant image) get 0, the minimum-norm solution.
    """
    symbol = jnp.asarray(symbol)
    symbol = symbol.reshape((1,) * (b.ndim - symbol.ndim) + symbol.shape)
    axes = [a for a in range(b.ndim) if symbol.shape[a] > 1]
    spectrum = b
    for a in axes:
        spectrum = dct2(spectrum, a)
    nonzero = symbol != 0
    x = jnp.where(nonzero, spectrum / jnp.where(nonzero, symbol, 1.0), 0.0)
    for a in reversed(axes):
        x = idct2(x, a)
    return x.astype(b.dtype)
