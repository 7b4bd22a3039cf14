"""Tikhonov (quadratic smoothness) regularisation by conjugate gradients.

Minimises

    ½ ‖A x − y‖² + (lam/2) Σ_{a ∈ axes} ‖D_a x‖²

(``D_a`` circular forward differences) by conjugate gradients on the normal
equations ``(AᵀA + lam Σ D_aᵀD_a) x = Aᵀy`` (Hestenes & Stiefel 1952;
Tikhonov & Arsenin 1977), one CG step per iteration, starting from ``Aᵀy``.
Its minimiser is available in closed form through
``solve_normal(normal_operator(problem, diff_weights={a: lam}), Aᵀy)``, which makes it the reference
method for testing the drivers.
"""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

from .._pytree import pytree_dataclass, static
from ..operators import difference, difference_symbol
from ..operators.cg import cg_init, cg_step
from ..problems import normal_operator
from .base import Method
from .registry import register


@register
@pytree_dataclass
class Tikhonov(Method):
    """Quadratic gradient penalty solved by conjugate gradients (one CG step per iteration)."""

    name = "tikhonov"
    paper = "Tikhonov & Arsenin 1977 (classical baseline; CG: Hestenes & Stiefel 1952)"
    nonnegative = ("lam", "tol")

    lam: float = 0.1
    tol: float = 1e-6
    axes: tuple = static(default=(0, 1))

    def validate(self, problem):
        super().validate(problem)
        ndim = len(problem.image_shape)
        if not self.axes or any(not -ndim <= int(a) < ndim for a in self.axes):
            raise ValueError(f"tikhonov: axes must be image axes in [-{ndim}, {ndim}), got {self.axes!r}")

    def _weights(self):
        return {a: self.lam for a in self.axes}

    def _matvec(self, x, problem):
        return normal_operator(problem, diff_weights=self._weights()).apply(x)

    def init(self, key, problem):
        b = problem.adjoint(problem.y)
        x, r, p, rr = cg_init(lambda v: self._matvec(v, problem), b, problem.initial_image())
        return {"x": x, "r": r, "p": p, "rr": rr, "bb": jnp.vdot(b, b).real}

    def step(self, state, problem):
        x, r, p, rr = cg_step(lambda v: self._matvec(v, problem), state["x"], state["r"], state["p"], state["rr"])
        return {"x": x, "r": r, "p": p, "rr": rr, "bb": state["bb"]}

    def output(self, state):
        return state["x"]

    def objective(self, x, problem):
        reg = sum(0.5 * self.lam * jnp.sum(jnp.square(difference(x, a))) for a in self.axes)
        return problem.data_fidelity(x) + reg

    def diagnostics(self, state, problem):
        return {"objective": self.objective(state["x"], problem),
                "residual": jnp.sqrt(state["rr"] / jnp.maximum(state["bb"], jnp.finfo(state["x"].dtype).tiny))}

    def converged(self, state, problem):
        return state["rr"] <= (self.tol ** 2) * state["bb"]


def sure_lam(y, sigma: float, lams=np.logspace(-2, 1, 61)) -> float:
    """The ``lam`` of Tikhonov *denoising* (``A = I``, axes H and W) that minimises SURE.

    The estimate ``x = (I + lam Σ DᵀD)⁻¹ y`` is linear and diagonal in the DFT
    with gain ``g = 1 / (1 + lam s)``, so Stein's unbiased risk estimate
    (Stein 1981) ``‖x − y‖² − N σ² + 2 σ² tr(∂x/∂y)`` is exact and cheap.  It
    needs only the noise level ``sigma``, never the clean image.
    """
    y = jnp.asarray(y)
    s = difference_symbol(y.shape, {0: 1.0, 1: 1.0})[..., 0]  # (H, W)
    h, w, c = y.shape
    power = jnp.sum(jnp.abs(jnp.fft.fft2(y, axes=(0, 1))) ** 2, axis=-1) / (h * w)  # Parseval
    lam = jnp.asarray(lams)[:, None, None]
    g = 1.0 / (1.0 + lam * s)
    risk = (jnp.sum((lam * s * g) ** 2 * power, axis=(1, 2)) - y.size * sigma ** 2
            + 2 * sigma ** 2 * c * jnp.sum(g, axis=(1, 2)))
    return float(np.asarray(lams)[int(jnp.argmin(risk))])
