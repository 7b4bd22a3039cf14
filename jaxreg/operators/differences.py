"""Forward finite differences along any axis, circular or not, with adjoints.

``(D x)_i = x_{i+1} − x_i``.  Circular: the last entry wraps to ``x_0 − x_{n−1}``.
Non-circular: the last entry is 0 (zero flux / Neumann), so ``D`` keeps the
shape of ``x`` (as SCICO's ``FiniteDifference(append=0)``) and isotropic TV can
combine the axes pointwise.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass, static
from .base import LinearOperator


def _zero_last(y, axis):
    idx = [slice(None)] * y.ndim
    idx[axis] = slice(-1, None)
    return y.at[tuple(idx)].set(0)


def difference(x, axis: int, circular: bool = True):
    """``D x`` along ``axis``."""
    d = jnp.roll(x, -1, axis=axis) - x
    return d if circular else _zero_last(d, axis)


def difference_adjoint(y, axis: int, circular: bool = True):
    """``Dᵀ y`` along ``axis``: ``(Dᵀy)_i = y_{i−1} − y_i`` (with y_{−1} = 0 and y_{n−1} = 0 when not circular)."""
    if not circular:
        y = _zero_last(y, axis)
    return jnp.roll(y, 1, axis=axis) - y


def gradient(x, axes, weights=None, circular: bool = True):
    """Stacked weighted differences ``(w_a D_a x)_a``, shape ``(len(axes), *x.shape)`` (weights 1 when None)."""
    weights = (1.0,) * len(axes) if weights is None else weights
    return jnp.stack([w * difference(x, a, circular) for a, w in zip(axes, weights)])


def gradient_adjoint(g, axes, weights=None, circular: bool = True):
    """``Σ_a w_a D_aᵀ g_a`` (the adjoint of :func:`gradient`)."""
    weights = (1.0,) * len(axes) if weights is None else weights
    return sum(w * difference_adjoint(g[i], a, circular) for i, (a, w) in enumerate(zip(axes, weights)))


@pytree_dataclass
class FiniteDifference(LinearOperator):
    """``D`` along one ``axis`` of arrays of ``in_shape``."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        axis = int(jax.random.randint(key, (), 0, len(shape)))
        return cls(tuple(shape), axis=axis, circular=bool(axis % 2))

    axis: int = static(default=0)
    circular: bool = static(default=True)

    def apply(self, x):
        return difference(x, self.axis, self.circular)

    def adjoint(self, y):
        return difference_adjoint(y, self.axis, self.circular)


@pytree_dataclass
class Gradient(LinearOperator):
    """Stacked differences ``(D_a x)_{a ∈ axes}``, output shape ``(len(axes), *in_shape)``.

    With ``weights`` (one static float per axis), row ``a`` is scaled by ``weights[a]``:
    this is how 3-D TV puts a separate weight on the channel/time/band axis.
    """

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls(tuple(shape), axes=(0, 1, 2), circular=False, weights=(1.0, 1.0, 0.5))

    axes: tuple = static(default=(0, 1))
    circular: bool = static(default=True)
    weights: tuple | None = static(default=None)

    def apply(self, x):
        return gradient(x, self.axes, self.weights, self.circular)

    def adjoint(self, y):
        return gradient_adjoint(y, self.axes, self.weights, self.circular)
