"""Linear operators: the base class, automatic adjoints and the adjoint test.

A :class:`LinearOperator` is an immutable pytree mapping arrays of shape
``in_shape`` to arrays of shape ``out_shape``.  Subclasses implement
:meth:`apply`; an explicit :meth:`adjoint` is optional, the default derives it
with ``jax.linear_transpose`` (as SCICO does), so every operator has one.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import jax
import jax.numpy as jnp

from .._pytree import Pytree, pytree_dataclass, static


def linear_adjoint(fn: Callable, in_shape, dtype=jnp.float32) -> Callable:
    """The adjoint of the linear function ``fn`` on arrays of ``in_shape``.

    Uses ``jax.linear_transpose``: ``⟨fn(x), y⟩ = ⟨x, adjoint(y)⟩`` for all x, y.
    ``fn`` must be linear (affine offsets are an error in JAX).
    """
    transpose = jax.linear_transpose(fn, jax.ShapeDtypeStruct(tuple(in_shape), dtype))
    return lambda y: transpose(y)[0]


@pytree_dataclass
class LinearOperator(Pytree):
    """Base class: a linear map ``A: R^in_shape -> R^out_shape``."""

    in_shape: tuple = static()

    @property
    def out_shape(self) -> tuple:
        x = jax.ShapeDtypeStruct(self.in_shape, jnp.float32)
        return tuple(jax.eval_shape(self.apply, x).shape)

    def apply(self, x):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement apply")

    def adjoint(self, y):
        """Aᵀy, by ``jax.linear_transpose`` unless a subclass gives it in closed form."""
        return linear_adjoint(self.apply, self.in_shape, jnp.result_type(y))(y)

    def __call__(self, x):
        return self.apply(x)

    def normal(self, x):
        """AᵀA x."""
        return self.adjoint(self.apply(x))


@pytree_dataclass
class FunctionOperator(LinearOperator):
    """Wrap any linear function ``fn`` of arrays of ``in_shape``; adjoint is automatic."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls(tuple(shape), fn=lambda x: 2.0 * x[::-1] - jnp.roll(x, 1, axis=1))

    fn: Callable = static(default=None)

    def apply(self, x):
        return self.fn(x)


@pytree_dataclass
class Identity(LinearOperator):
    """The identity on arrays of ``in_shape`` (denoising, JPEG artefacts, smoothing)."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls(tuple(shape))

    def apply(self, x):
        return x

    def adjoint(self, y):
        return y


class AdjointCheck(NamedTuple):
    """Outcome of :func:`check_adjoint`: ``passed`` and the relative error measured."""

    passed: bool
    relative_error: float


def check_adjoint(op: LinearOperator, key, *, rtol: float = 1e-4, dtype=jnp.float32) -> AdjointCheck:
    """Test ``|⟨Ax, y⟩ − ⟨x, Aᵀy⟩| ≤ rtol ‖Ax‖ ‖y‖`` on random Gaussian x, y.

    The inner products are accumulated in float64 on the host, so the test
    measures the operator's error, not the error of the test itself.
    """
    kx, ky = jax.random.split(key)
    x = jax.random.normal(kx, op.in_shape, dtype)
    ax = op.apply(x)
    y = jax.random.normal(ky, ax.shape, dtype)
    aty = op.adjoint(y)
    if aty.shape != x.shape:
        raise ValueError(f"adjoint of {type(op).__name__} returned shape {aty.shape}, expected {x.shape}")
    ax64, y64, x64, aty64 = (np.asarray(a, np.float64) for a in (ax, y, x, aty))
    lhs, rhs = np.vdot(ax64, y64), np.vdot(x64, aty64)
    scale = np.linalg.norm(ax64) * np.linalg.norm(y64)
    err = float(abs(lhs - rhs) / scale) if scale > 0 else float(abs(lhs - rhs))
    return AdjointCheck(err <= rtol, err)
