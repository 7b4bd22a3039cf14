"""ℓ0 gradient smoothing (Xu et al. 2011) as a method: one iteration per value of ``β``.

See :mod:`jaxreg.regularizers.l0` for the algorithm.  ``lam`` is Xu's λ; ``β`` starts at
``2·lam``, is multiplied by ``kappa`` after every iteration and the method stops (``CONVERGED``)
once ``β ≥ beta_max``: ``lam = 0.02`` takes 22 iterations, so ``num_iters`` only needs to be large
enough.  For ``A = I`` (smoothing, JPEG artefacts, denoising) this is exactly the authors'
``L0Smoothing.m``; for other problems the S-update solves ``(AᵀA + β DᵀD) S = Aᵀy + β Dᵀ(h, v)``
through :func:`jaxreg.operators.solve_normal` (exact by FFT for circular blur, CG otherwise).
"""

from __future__ import annotations

import numpy as np

import jax.numpy as jnp

from .._checks import is_concrete
from .._pytree import pytree_dataclass
from ..operators import solve_normal
from ..problems import normal_operator
from ..problems.identity import IdentityProblem
from ..regularizers.l0 import SPATIAL, keep_mean, l0_iteration
from .base import Method
from .registry import register


@register
@pytree_dataclass
class L0Smoothing(Method):
    """ℓ0 gradient minimisation by half-quadratic splitting (β₀ = 2λ, κ = 2, β_max = 1e5)."""

    name = "l0-smoothing"
    # SURE's finite-difference step ε / σ (jaxreg.selection): large enough to average over the hard decisions
    sure_eps_scale = 0.1
    paper = "Xu, Lu, Xu & Jia, Image smoothing via L0 gradient minimization, ACM TOG 2011"
    positive = ("lam", "kappa", "beta_max")

    lam: float = 0.02
    kappa: float = 2.0
    beta_max: float = 1e5

    def validate(self, problem):
        super().validate(problem)
        if is_concrete(self.kappa) and not np.all(np.asarray(self.kappa) > 1):
            raise ValueError(f"l0-smoothing: kappa must be > 1, got {self.kappa}")

    def init(self, key, problem):
        x = problem.initial_image()
        return {"x": x, "beta": jnp.asarray(2.0 * self.lam, x.dtype)}

    def step(self, state, problem):
        def solve(b, beta):
            m = normal_operator(problem, diff_weights={SPATIAL[0]: beta, SPATIAL[1]: beta})
            s = solve_normal(m, b, x0=state["x"])
            # A = I: the exact solution keeps the mean of y (jaxreg.regularizers.l0); restore it from round-off
            return keep_mean(s, problem.y) if isinstance(problem, IdentityProblem) else s

        x = l0_iteration(state["x"], problem.adjoint(problem.y), self.lam, state["beta"], solve)
        return {"x": x, "beta": state["beta"] * self.kappa}

    def output(self, state):
        return state["x"]

    def diagnostics(self, state, problem):
        return {"beta": state["beta"]}

    def converged(self, state, problem):
        return state["beta"] >= self.beta_max
