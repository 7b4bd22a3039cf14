"""Total-variation regularisation: Chambolle's dual projection for denoising, ADMM for every other problem.

Minimises ``½ ‖A x − y‖² + lam · TV(x)`` (TV as in :mod:`jaxreg.regularizers.tv`: anisotropic or
isotropic, 2-D, or 3-D with weight ``lam_t`` on the channel/time/band axis) by the alternating
direction method of multipliers with scaled duals (Boyd, Parikh, Chu, Peleato & Eckstein,
"Distributed optimization and statistical learning via ADMM", FnT ML 2011, §3; for TV: Goldstein &
Osher, "The split Bregman method for L1-regularized problems", SIAM J. Imaging Sci. 2009).

With ``G x = (w_a D_a x)_a`` and the splitting ``z = G x``, one iteration is

    x ← argmin ½‖A x − y‖² + ρ/2 ‖G x − z + u‖²  =  (AᵀA + ρ GᵀG)⁻¹ (Aᵀy + ρ Gᵀ(z − u))
    z ← shrink(G x + u, lam/ρ)            (group soft thresholding: isotropic; soft: anisotropic)
    u ← u + G x − z

The differences are zero-flux (Neumann: the last difference along an axis is 0) by default, the boundary of
scikit-image's and SCICO's TV; ``circular=True`` makes them periodic.  The x-update is exact
(``splitting="direct"``) when ``A`` is the identity — by the DCT-II for Neumann differences
(:mod:`jaxreg.operators.dct`), by the FFT for periodic ones — or a circular blur with periodic differences.
When ``AᵀA + ρI`` alone is easy (inpainting: diagonal; circular blur with Neumann differences: FFT; Hadamard
compressive sensing; circular super-resolution) the data term is split too (``splitting="data"``, ``v = x``,
dual ``u₂``):

    x ← (I + GᵀG)⁻¹ (v − u₂ + Gᵀ(z − u))                   (DCT for Neumann, FFT for periodic differences)
    z ← shrink(G x + u, lam/ρ);   v ← (AᵀA + ρI)⁻¹ (Aᵀy + ρ(x + u₂))   (diagonal / FFT / Hadamard)
    u ← u + G x − z;              u₂ ← u₂ + x − v

Otherwise (replicate-boundary blur or super-resolution, dense compressive sensing) the x-update takes
``cg_iters`` warm-started conjugate-gradient steps (``splitting="cg"``).

**Denoising-type problems** (``A = I``: ``Denoise``, ``JPEGArtifacts``, ``Smooth``) are solved by default
(``algorithm="auto"``) by Chambolle's projection algorithm on the dual (Chambolle, "An algorithm for total
variation minimization and applications", J. Math. Imaging Vis. 2004, §3; the algorithm of scikit-image's
``denoise_tv_chambolle``), which needs no linear solve at all.  With the dual field ``q`` (``|q| ≤ lam``,
per pixel and channel for isotropic TV, per entry for anisotropic) and ``x = y − Gᵀq``:

    q ← (q + τ G x) / (1 + (τ / lam) |G x|)                                  (C1)
    x ← y − Gᵀ q                                                             (C2)

with ``τ = 1 / (2 Σ_a w_a²)`` (¼ in 2-D, scikit-image's step; Chambolle proves convergence for ``τ ≤ ⅛`` and
observes it up to ¼).  The fixed point of (C1) is ``q = lam · G x / |G x|`` where ``G x ≠ 0``: the optimality
condition of the primal problem.  History: ``objective`` and ``relative_change = ‖x_k − x_{k−1}‖ / ‖x_k‖``; the
run stops (``CONVERGED``) once the relative change is at most ``tol`` (default ``2e-4``: on 256² photos at σ = 0.1
it stops after ~30 iterations within 0.01 dB of the converged PSNR, scikit-image's own stopping point;
``tol=0`` runs every iteration).  ``algorithm="admm"`` keeps ADMM for these problems too.

The ADMM history records the objective and the primal/dual residuals ``r = ‖(G x − z, x − v)‖`` and
``s = ρ ‖(Gᵀ(z − z_prev), v − v_prev)‖`` (Boyd et al. §3.3).  With ``adaptive=True`` (default) the
penalty follows residual balancing (§3.4.1) on the *relative* residuals of the stopping test
(Wohlberg, "ADMM penalty parameter selection by residual balancing", arXiv:1704.06209, 2017)::

    r̃ = r / max(‖G x‖, ‖z‖),   s̃ = s / ‖ρ Gᵀu‖        (with the data split: the (x, v) terms added)
    ρ ← 2ρ if r̃ > 10 s̃;   ρ ← ρ/2 if s̃ > 10 r̃;   scaled duals u ← u·ρ_old/ρ_new

starting from ``ρ₀ = 10 λ`` (``rho=None``, the default; an explicit ``rho`` is the starting value).  A fixed
``ρ = 1`` (the default before) needed ~2000 iterations at λ = 1e-3 on inpainting (8.8 dB after 200) and stayed 3–6 %
above the optimum at λ = 1; with the defaults, 200 iterations reach a 4000-iteration run's objective to a relative
gap of at most 3.6e-3 for λ from 1e-3 to 1 on denoising, inpainting (40 % observed) and deblurring
(``tests/test_admm_convergence.py``, 64² photo).  ``adaptive=False`` keeps ρ fixed.  The method stops (``CONVERGED``) when
``r ≤ tol·max(‖G x‖, ‖z‖)`` and ``s ≤ tol·‖ρ Gᵀu‖`` (relative tolerances of §3.3.1; default ``tol = 2e-4``,
``tol=0`` runs every iteration).

**Default λ** (``lam=None``, :func:`default_lam`), chosen on validation photos (scikit-image's coffee, chelsea,
rocket, camera at 128², oracle over 17 λ from 1e-4 to 1): denoising-type problems ``0.75 σ`` when ``σ`` is known
(best: 0.6–1.0 σ for σ = 0.05 … 0.2), else 0.1; inpainting ``1e-4`` (noise-free observations: the best λ was the
grid's smallest at 30 % and 50 % observed — λ = 0.1 gives a flat cartoon); deblurring and the other problems
``5 σ²`` when ``σ`` is known (best 5.6e-4 at σ = 0.01, 3.2e-3 … 5.6e-3 at σ = 0.03), else 1e-3.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._pytree import leaf, pytree_dataclass, static
from ..problems.identity import IdentityProblem
from ..problems.linear import Inpaint
from ..operators import Identity, NormalOperator, solve_normal
from ..problems import normal_operator
from ..regularizers.tv import chambolle_tau, chambolle_update, gradient, gradient_adjoint, shrink, tv_of_gradient
from .admm import RHO_PER_LAM, balance_factor, norm
from .base import Method
from .registry import register


ALGORITHMS = ("auto", "admm", "chambolle")


def default_lam(problem) -> float:
    """λ for ``½‖A x − y‖² + λ·TV(x)`` (and ``pnp-admm``) when none is given, by the problem's kind (module
    docstring): denoising-type ``0.75 σ`` (0.1 when σ is unknown); inpainting ``1e-4`` (noise-free observations:
    the smaller the better, down to the interpolation limit); deblurring, compressive sensing and super-resolution
    ``5 σ²`` (``1e-3`` when σ is unknown)."""
    sigma = getattr(problem, "sigma", None)
    if isinstance(problem, IdentityProblem):
        return 0.1 if sigma is None else jnp.maximum(0.75 * sigma, 1e-4)
    if isinstance(problem, Inpaint):
        return 1e-4
    return 1e-3 if sigma is None else jnp.maximum(5.0 * sigma * sigma, 1e-5)


def tv_axes(ndim: int, third_axis: bool) -> tuple:
    """Difference axes: H, W (and the channel/band axis of an image, or the time axis of a video)."""
    if ndim == 3:
        return (0, 1, 2) if third_axis else (0, 1)
    return (1, 2, 0) if third_axis else (1, 2)


@register
@pytree_dataclass
class TV(Method):
    """Total variation (anisotropic/isotropic, 2-D or 3-D): Chambolle's projection for denoising, ADMM with exact
    DCT/FFT x-updates where possible otherwise."""

    name = "tv"
    paper = ("Rudin, Osher & Fatemi 1992; Chambolle, JMIV 2004; ADMM: Boyd et al. 2011; split Bregman: Goldstein & "
             "Osher 2009")
    positive = ("lam", "rho")
    nonnegative = ("lam_t", "tol")

    lam: float | None = leaf(default=None, metadata={
        "help": "λ; default: by the problem's kind (0.75σ or 0.1 denoising, 1e-4 inpainting, 5σ² or 1e-3 otherwise)"})
    rho: float | None = leaf(default=None, metadata={
        "help": "ADMM's initial penalty; default: 10·λ"})
    lam_t: float = 1.0
    tol: float = 2e-4
    isotropic: bool = static(default=True)
    third_axis: bool = static(default=False)
    circular: bool = static(default=False, metadata={
        "help": "periodic differences (FFT solves); default False: zero-flux (Neumann), as scikit-image and SCICO"})
    adaptive: bool = static(default=True, metadata={"help": "relative residual balancing of rho (default on)"})
    cg_iters: int = static(default=10)
    algorithm: str = static(default="auto", choices=ALGORITHMS, metadata={
        "help": "auto (chambolle for denoising-type problems, admm otherwise), admm or chambolle"})

    def lam_for(self, problem):
        """``lam``, or when it is None (default) the value for the problem's kind (:func:`default_lam`)."""
        return default_lam(problem) if self.lam is None else self.lam

    def initial_rho(self, problem):
        """The ADMM penalty's starting value: ``rho``, or ``RHO_PER_LAM · λ`` when ``rho`` is None (default)."""
        return RHO_PER_LAM * self.lam_for(problem) if self.rho is None else self.rho

    # -- structure -------------------------------------------------------------------------------
    def _axes_weights(self, problem):
        axes = tv_axes(len(problem.image_shape), self.third_axis)
        return axes, (1.0, 1.0, self.lam_t)[:len(axes)]

    def splitting(self, problem) -> str:
        """``"direct"``, ``"data"`` or ``"cg"`` (static: depends on the problem's structure only)."""
        axes, _ = self._axes_weights(problem)
        if normal_operator(problem, diff_weights={a: 1.0 for a in axes}, circular=self.circular).is_exact:
            return "direct"
        if normal_operator(problem, circular=self.circular).is_exact:
            return "data"
        return "cg"

    def uses_chambolle(self, problem) -> bool:
        """Whether this problem is solved by Chambolle's dual projection (static)."""
        return self.algorithm == "chambolle" or (self.algorithm == "auto" and isinstance(problem, IdentityProblem))

    def validate(self, problem):
        super().validate(problem)
        if self.algorithm == "chambolle" and not isinstance(problem, IdentityProblem):
            raise ValueError(f"tv: algorithm='chambolle' solves ½‖x − y‖² + λ TV(x) (denoising, JPEG artefacts, "
                             f"smoothing), not {type(problem).__name__}; use 'admm' or 'auto'")
        if self.third_axis and len(problem.image_shape) == 3 and problem.image_shape[2] < 2:
            raise ValueError("tv: third_axis=True needs at least 2 channels/bands")
        if int(self.cg_iters) < 1:
            raise ValueError(f"tv: cg_iters must be at least 1, got {self.cg_iters}")

    # -- Chambolle's dual projection (denoising-type problems) ------------------------------------
    def _chambolle_init(self, problem, axes, w):
        x = problem.y
        q = jnp.zeros((len(axes),) + x.shape, x.dtype)
        return {"x": x, "q": q, "g": gradient(x, axes, w, self.circular), "change": jnp.asarray(jnp.inf, x.dtype)}

    def _chambolle_step(self, state, problem, axes, w):
        q = chambolle_update(state["q"], state["g"], self.lam_for(problem), chambolle_tau(w), self.isotropic)  # (C1)
        x = problem.y - gradient_adjoint(q, axes, w, self.circular)  # (C2)
        change = norm(x - state["x"]) / jnp.maximum(norm(x), jnp.finfo(x.dtype).tiny)
        return {"x": x, "q": q, "g": gradient(x, axes, w, self.circular), "change": change}

    # -- protocol --------------------------------------------------------------------------------
    def init(self, key, problem):
        axes, w = self._axes_weights(problem)
        if self.uses_chambolle(problem):
            return self._chambolle_init(problem, axes, w)
        x = problem.initial_image()
        z = gradient(x, axes, w, self.circular)
        state = {"x": x, "z": z, "u": jnp.zeros_like(z), "rho": jnp.asarray(self.initial_rho(problem), x.dtype),
                 "r": jnp.asarray(jnp.inf, x.dtype), "s": jnp.asarray(jnp.inf, x.dtype),
                 "eps_pri": jnp.asarray(0.0, x.dtype), "eps_dual": jnp.asarray(0.0, x.dtype)}
        if self.splitting(problem) == "data":
            state.update(v=x, u2=jnp.zeros_like(x))
        return state

    def _x_update(self, state, problem, axes, w):
        rho, z, u = state["rho"], state["z"], state["u"]
        mode = self.splitting(problem)
        if mode == "data":
            b = state["v"] - state["u2"] + gradient_adjoint(z - u, axes, w, self.circular)
            weights = {a: wa * wa for a, wa in zip(axes, w)}  # (I + Σ wₐ² DₐᵀDₐ) x = b: A = I, exact
            return solve_normal(NormalOperator(b.shape, op=Identity(b.shape), mu=0.0, rho=1.0,
                                               diff_weights=weights, circular=self.circular), b)
        b = problem.adjoint(problem.y) + rho * gradient_adjoint(z - u, axes, w, self.circular)
        weights = {a: rho * wa * wa for a, wa in zip(axes, w)}
        m = normal_operator(problem, diff_weights=weights, circular=self.circular)
        return solve_normal(m, b, x0=state["x"], cg_iters=self.cg_iters, cg_tol=0.0)

    def step(self, state, problem):
        axes, w = self._axes_weights(problem)
        if self.uses_chambolle(problem):
            return self._chambolle_step(state, problem, axes, w)
        rho, u = state["rho"], state["u"]
        x = self._x_update(state, problem, axes, w)
        gx = gradient(x, axes, w, self.circular)
        z = shrink(gx + u, self.lam_for(problem) / rho, self.isotropic)
        u = u + gx - z
        r2 = jnp.sum((gx - z) ** 2)
        s2 = jnp.sum(gradient_adjoint(z - state["z"], axes, w, self.circular) ** 2)
        pri2, dual2 = jnp.maximum(jnp.sum(gx * gx), jnp.sum(z * z)), jnp.sum(
            gradient_adjoint(u, axes, w, self.circular) ** 2)
        new = dict(state, x=x, z=z, u=u)
        if "v" in state:
            v = solve_normal(normal_operator(problem, mu=rho), problem.adjoint(problem.y) + rho * (x + state["u2"]))
            u2 = state["u2"] + x - v
            r2 = r2 + jnp.sum((x - v) ** 2)
            s2 = s2 + jnp.sum((v - state["v"]) ** 2)
            pri2 = pri2 + jnp.maximum(jnp.sum(x * x), jnp.sum(v * v))
            dual2 = dual2 + jnp.sum(u2 * u2)
            new.update(v=v, u2=u2)
        r, s = jnp.sqrt(r2), rho * jnp.sqrt(s2)
        new.update(r=r, s=s, eps_pri=jnp.sqrt(pri2), eps_dual=rho * jnp.sqrt(dual2))
        if self.adaptive:  # relative residual balancing (Wohlberg 2017)
            factor = balance_factor(r, s, new["eps_pri"], new["eps_dual"])
            new["rho"] = rho * factor
            new["u"] = new["u"] / factor
            if "u2" in new:
                new["u2"] = new["u2"] / factor
        return new

    def output(self, state):
        return state["x"]

    def objective(self, x, problem):
        axes, w = self._axes_weights(problem)
        return problem.data_fidelity(x) + self.lam_for(problem) * tv_of_gradient(gradient(x, axes, w, self.circular),
                                                                     self.isotropic)

    def diagnostics(self, state, problem):
        if "q" in state:  # Chambolle: G x is in the state already
            objective = problem.data_fidelity(state["x"]) + self.lam_for(problem) * tv_of_gradient(state["g"],
                                                                                       self.isotropic)
            return {"objective": objective, "relative_change": state["change"]}
        return {"objective": self.objective(state["x"], problem), "primal_residual": state["r"],
                "dual_residual": state["s"], "rho": state["rho"]}

    def converged(self, state, problem):
        if "q" in state:
            return (self.tol > 0) & (state["change"] <= self.tol)
        return (self.tol > 0) & (state["r"] <= self.tol * state["eps_pri"]) & (
            state["s"] <= self.tol * state["eps_dual"])
