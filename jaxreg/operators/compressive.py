"""Single-pixel-camera measurement operators.

A single-pixel camera measures ``b = A x`` with ``M < N`` patterns, where ``x``
holds the ``N = H·W`` pixels of each channel (Duarte et al., "Single-pixel
imaging via compressive sampling", IEEE Signal Process. Mag. 2008).  The
compression factor is ``CF = N / M``.

* :class:`SubsampledHadamard`: ``M`` rows of the orthonormal Walsh–Hadamard
  matrix (Sylvester order) applied by a fast transform, ``O(N log N)``.  On a
  row-major ``H × W`` image with ``H, W`` powers of two, row ``i = r·W + c`` is
  the separable 2-D Walsh pattern ``h_r ⊗ h_c``.
* :class:`RandomBinary`: a dense ``M × N`` matrix of ±1/√N entries.
"""

from __future__ import annotations

import functools

import numpy as np
import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass, set_fields, static
from .base import LinearOperator


@functools.partial(jax.jit, static_argnames="axis")
def fwht(x, axis: int = 0):
    """Orthonormal fast Walsh–Hadamard transform (Sylvester/natural order) along ``axis``.

    ``x.shape[axis]`` must be a power of two; the transform is its own inverse.
    """
    x = jnp.moveaxis(x, axis, 0)
    n = x.shape[0]
    if n & (n - 1):
        raise ValueError(f"Walsh–Hadamard transform needs a power-of-two length, got {n}")
    rest = x.shape[1:]
    h = 1
    while h < n:
        y = x.reshape((n // (2 * h), 2, h) + rest)
        a, b = y[:, 0], y[:, 1]
        x = jnp.stack([a + b, a - b], axis=1).reshape((n,) + rest)
        h *= 2
    return jnp.moveaxis(x / np.sqrt(n).astype(x.dtype), 0, axis)


def _bit_reverse(i: np.ndarray, bits: int) -> np.ndarray:
    out = np.zeros_like(i)
    for b in range(bits):
        out |= ((i >> b) & 1) << (bits - 1 - b)
    return out


def _gray_to_binary(g: np.ndarray) -> np.ndarray:
    b = g.copy()
    shift = g >> 1
    while np.any(shift):
        b ^= shift
        shift >>= 1
    return b


def walsh_sequency(n: int) -> np.ndarray:
    """Sequency (number of sign changes) of each row of the natural-order Hadamard matrix of size ``n``."""
    bits = int(np.log2(n))
    return _gray_to_binary(_bit_reverse(np.arange(n), bits))


def hadamard_rows(image_hw, num_rows: int, *, ordering: str = "sequency", key=None) -> np.ndarray:
    """Indices of the Hadamard patterns a single-pixel camera measures.

    ``ordering``: ``"sequency"`` keeps the ``num_rows`` patterns of lowest 2-D
    sequency (sum of row and column sequencies, ties by index: a zig-zag over
    Walsh frequencies); ``"natural"`` the first rows in Sylvester order;
    ``"random"`` a uniformly random subset drawn from ``key``.
    """
    h, w = image_hw
    n = h * w
    if not 1 <= num_rows <= n:
        raise ValueError(f"number of measurements must be in [1, {n}], got {num_rows}")
    if ordering == "natural":
        return np.arange(num_rows)
    if ordering == "sequency":
        seq = walsh_sequency(h)[:, None] + walsh_sequency(w)[None, :]
        return np.sort(np.argsort(seq.ravel(), kind="stable")[:num_rows])
    if ordering == "random":
        if key is None:
            raise ValueError("ordering='random' needs a key")
        return np.sort(np.asarray(jax.random.permutation(key, n)[:num_rows]))
    raise ValueError(f"unknown ordering {ordering!r}; choose 'sequency', 'natural' or 'random'")


def _check_power_of_two(in_shape):
    h, w = in_shape[0], in_shape[1]
    if len(in_shape) != 3 or h & (h - 1) or w & (w - 1):
        raise ValueError(f"SubsampledHadamard needs an (H, W, C) image with H and W powers of two, got {in_shape}")


@pytree_dataclass(init=False)
class SubsampledHadamard(LinearOperator):
    """``A x = S H x`` per channel: orthonormal Walsh–Hadamard then row selection ``S``; output ``(M, C)``."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls.from_compression(tuple(shape), 2.0, ordering="random", key=key)

    rows: jnp.ndarray = None

    def __init__(self, in_shape, rows):
        in_shape = tuple(in_shape)
        _check_power_of_two(in_shape)
        rows = np.asarray(rows)
        n = in_shape[0] * in_shape[1]
        if rows.ndim != 1 or rows.size == 0 or rows.min() < 0 or rows.max() >= n or np.unique(rows).size != rows.size:
            raise ValueError(f"rows must be distinct indices in [0, {n}), got {rows.size} values")
        set_fields(self, in_shape=in_shape, rows=jnp.asarray(rows, jnp.int32))

    @classmethod
    def from_compression(cls, in_shape, compression: float, *, ordering="sequency", key=None):
        """Operator measuring ``round(N / compression)`` patterns (``CF = N / M``)."""
        if compression < 1:
            raise ValueError(f"compression factor must be ≥ 1, got {compression}")
        n = in_shape[0] * in_shape[1]
        rows = hadamard_rows(in_shape[:2], int(round(n / compression)), ordering=ordering, key=key)
        return cls(in_shape, rows)

    def apply(self, x):
        h, w, c = self.in_shape
        return fwht(x.reshape(h * w, c))[self.rows]

    def adjoint(self, y):
        h, w, c = self.in_shape
        full = jnp.zeros((h * w, c), y.dtype).at[self.rows].set(y)
        return fwht(full).reshape(self.in_shape)

    def sampled_fraction(self, weights=None):
        """``SᵀS`` in the Hadamard domain: 1 on measured rows, 0 elsewhere, shape ``(N, 1)``.

        With ``weights`` (``(M, 1)`` or ``(M, C)``, one per measurement): ``SᵀWS``, the weights scattered to
        their rows, ``(N, 1)`` or ``(N, C)`` (the rows are distinct, so it stays diagonal).
        """
        h, w, _ = self.in_shape
        if weights is None:
            return jnp.zeros((h * w, 1)).at[self.rows].set(1.0)
        return jnp.zeros((h * w, weights.shape[-1]), weights.dtype).at[self.rows].set(weights)


@pytree_dataclass(init=False)
class RandomBinary(LinearOperator):
    """Dense ``M × N`` matrix with i.i.d. ±1/√N entries drawn from ``key``, applied per channel."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls(key, tuple(shape), 20)

    matrix: jnp.ndarray = None

    def __init__(self, key, in_shape, num_rows: int):
        in_shape = tuple(in_shape)
        if len(in_shape) != 3:
            raise ValueError(f"RandomBinary needs an (H, W, C) image shape, got {in_shape}")
        n = in_shape[0] * in_shape[1]
        if not 1 <= num_rows <= n:
            raise ValueError(f"number of measurements must be in [1, {n}], got {num_rows}")
        signs = jax.random.rademacher(key, (num_rows, n), dtype=jnp.float32)
        set_fields(self, in_shape=in_shape, matrix=signs / np.sqrt(n).astype(np.float32))

    def apply(self, x):
        h, w, c = self.in_shape
        return jnp.matmul(self.matrix, x.reshape(h * w, c), precision=jax.lax.Precision.HIGHEST)

    def adjoint(self, y):
        return jnp.matmul(self.matrix.T, y, precision=jax.lax.Precision.HIGHEST).reshape(self.in_shape)
