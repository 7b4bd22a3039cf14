"""Plug-and-play ADMM (Venkatakrishnan, Bouman & Wohlberg, GlobalSIP 2013).

For ``½‖A x − y‖² + lam · R(x)`` with the proximal step of ``R`` replaced by a denoiser ``D``:

    x ← (AᵀA + ρ I)⁻¹ (Aᵀy + ρ (z − u))      (problem.solve_normal: exact for denoise, circular
                                                blur, inpainting and Hadamard compressive sensing)
    z ← D(x + u; t = lam/ρ)                     (TV, ℓ0, BM3D, or a deep prior such as DIP)
    u ← u + x − z

as in Anderson, "Regularization and applications of a network structure deep image prior" (Stanford report) for the
single-pixel camera.  ``prior`` is a name from :data:`jaxreg.regularizers.priors.PRIORS` (``"tv"``, ``"l0"``,
``"bm3d"``) or a prior instance.
The history records the data fidelity and the residuals ``r = ‖x − z‖``, ``s = ρ‖z − z_prev‖``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass, static
from ..regularizers.priors import get_prior
from .base import Method
from .registry import register


def _norm(x):
    return jnp.sqrt(jnp.sum(x * x))


@register
@pytree_dataclass
class PnPADMM(Method):
    """Plug-and-play ADMM with a pluggable denoising prior (tv, l0, bm3d, deep priors)."""

    name = "pnp-admm"
    paper = "Venkatakrishnan, Bouman & Wohlberg 2013; single-pixel camera: Anderson"
    positive = ("lam", "rho")
    nonnegative = ("tol",)

    lam: float = 0.01
    rho: float = 1.0
    tol: float = 0.0
    prior: object = static(default="tv")
    cg_iters: int = static(default=20)

    def validate(self, problem):
        super().validate(problem)
        get_prior(self.prior).check()

    def init(self, key, problem):
        x = problem.initial_image()
        prior_state = get_prior(self.prior).init(key, x.shape)
        zero = jnp.asarray(0.0, x.dtype)
        return {"x": x, "z": x, "u": jnp.zeros_like(x), "prior": prior_state, "r": zero + jnp.inf,
                "s": zero + jnp.inf}

    def step(self, state, problem):
        rho = jnp.asarray(self.rho, state["x"].dtype)
        b = problem.adjoint(problem.y) + rho * (state["z"] - state["u"])
        x = problem.solve_normal(b, rho, 1.0, x0=state["x"], cg_iters=self.cg_iters, cg_tol=0.0)
        z, prior_state = get_prior(self.prior).denoise(state["prior"], x + state["u"], self.lam / rho)
        u = state["u"] + x - z
        return {"x": x, "z": z, "u": u, "prior": prior_state, "r": _norm(x - z),
                "s": rho * _norm(z - state["z"])}

    def output(self, state):
        return state["x"]

    def diagnostics(self, state, problem):
        return {"data_fidelity": problem.data_fidelity(state["x"]), "primal_residual": state["r"],
                "dual_residual": state["s"]}

    def converged(self, state, problem):
        scale = jnp.maximum(_norm(state["x"]), _norm(state["z"]))
        return (self.tol > 0) & (state["r"] <= self.tol * scale) & (state["s"] <= self.tol * scale)
