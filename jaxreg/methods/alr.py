"""ALR: variational restoration with a learned local regulariser (Prost, Houdard, Almansa & Papadakis,
"Learning local regularization for variational image restoration", SSVM 2021; code ``jprost76/LocalReg``).

The image minimises a data term plus λ times the mean critic score over its patches (eq. (4))::

    x̂ ∈ argmin_x  F(x) + λ R(x),     R(x) = 1/|Ω_x| Σ_i r_θ(x_i)          (R: jaxreg.regularizers.critic)

by Adam on the pixels (β 0.9/0.999, ε 1e-8) from ``x₀ = y``, with a learning rate decaying exponentially from
``lr`` = 0.1 at the first iteration to ``lr_end`` = 0.01 at iteration ``steps`` = 50 (§3.3), held there if the run
goes on; ``x`` is not clipped.  The paper runs ``num_iters = steps = 50``.  (The code's scheduler uses
``γ = (0.01/0.1)^(1/50)``, so its 50th step takes 0.0105.)

``data_term`` chooses ``F``:

* ``"code"`` (default): the authors' patch-count-weighted L2,
  ``F(x) = Σ_{c,i,j} N_ij (Ax − y)²_{cij} / Σ_{ij} N_ij`` with ``N_ij`` the number of p×p patches (p =
  ``patch_size`` = 15) that contain pixel (i, j).  There is no σ in it; the paper's λ values (0.15 / 0.35 / 1
  for σ = 0.1 / 0.2 / 0.4, :func:`paper_lam`) were set with this term, for the authors' critic.
* ``"paper"``: eq. (2)'s ``‖Ax − y‖² / (2σ²)``, divided by the number of pixels ``H·W`` so that it is on the same
  per-pixel scale as the *mean* R (the literal sum would outweigh λR ≈ 1 by a factor of ~10⁵ and make any λ ≤ 1
  irrelevant).  With this term ``λ_paper ≈ λ_code / (2σ²)`` gives the same minimiser away from the borders.
  ``σ`` is ``sigma`` if given, else the problem's (``Denoise(y, sigma=...)``).

λ (``lam``) balances the two and depends on the critic's scale: with ``lam=None`` (default) it is read from the
critic's calibrated table for the problem's σ (:func:`default_lam`; the shipped critic's table was chosen on
validation images, ``docs/alr.md``), falling back to the paper's values.  Deblurring and inpainting problems carry no
σ: give ``lam``.

Problems: denoising (and any identity model), deblurring (the code uses the replicate boundary,
``Deblur(y, k, boundary="replicate")``; circular works too) and inpainting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp
import optax

from .._checks import is_concrete
from .._pytree import pytree_dataclass, static
from .._schedules import exponential_decay
from ..problems import Deblur, Inpaint
from ..problems.identity import IdentityProblem
from ..regularizers.critic import PATCH_MODES, LearnedCritic, shipped_critic
from .base import Method
from .registry import register

DATA_TERMS = ("code", "paper")
# (σ, λ) of the paper's denoising experiments (§5.1, Table 2); §4.1 quotes 0.35 for σ = 0.1 instead.
PAPER_LAM = ((0.1, 0.15), (0.2, 0.35), (0.4, 1.0))


def paper_lam(sigma: float) -> float:
    """λ for noise level σ: the paper's values (§5.1) interpolated linearly through (0, 0), proportional above 0.4."""
    sigma = float(sigma)
    if not sigma >= 0:
        raise ValueError(f"sigma must be non-negative, got {sigma}")
    s, lam = zip(*((0.0, 0.0),) + PAPER_LAM)
    return float(np.interp(sigma, s, lam)) if sigma <= s[-1] else lam[-1] * sigma / s[-1]


def default_lam(sigma, critic: LearnedCritic):
    """λ for noise level σ with ``critic``: its calibrated table (``config["lam_by_sigma"]``, written by
    ``benchmarks/reproduce_alr.py calibrate``) interpolated linearly through (0, 0) and proportional above its last
    σ; the paper's values (:func:`paper_lam`) for a critic without one.  Works on traced σ."""
    table = critic.config.get("lam_by_sigma", {}).get("table")
    points = sorted((float(s), float(l)) for s, l in table.items()) if table else list(PAPER_LAM)
    s, lam = (jnp.asarray(v, jnp.float32) for v in zip(*([(0.0, 0.0)] + points)))
    sigma = jnp.asarray(sigma, jnp.float32)
    return jnp.where(sigma <= s[-1], jnp.interp(sigma, s, lam), lam[-1] * sigma / s[-1])


def patch_count(n: int, p: int):
    """Number of length-``p`` windows of a length-``n`` axis that contain each index: ``min(i+1, p, n−i, n−p+1)``
    (the code's ``[1..p, p..p, p..1]``)."""
    i = np.arange(n)
    return np.minimum.reduce([i + 1, np.full(n, p), n - i, np.full(n, n - p + 1)]).astype(np.float32)


def patch_weights(h: int, w: int, p: int):
    """``N_ij`` = number of p×p patches covering pixel (i, j), shape ``(h, w, 1)``."""
    return jnp.asarray(np.outer(patch_count(h, p), patch_count(w, p))[..., None])


@register
@pytree_dataclass
class ALR(Method):
    """Adversarial local regulariser: Adam on the image for data term + λ · mean critic score (module docstring)."""

    name = "alr"
    paper = "Prost, Houdard, Almansa & Papadakis, SSVM 2021"
    problems = (IdentityProblem, Deblur, Inpaint)
    positive = ("lr", "lr_end", "steps")
    default_iters = 50  # the paper's run (``jaxreg restore`` uses it when --iters is not given)
    # SURE's finite-difference step ε / σ (jaxreg.selection): Adam against a ReLU critic is piecewise smooth in y
    sure_eps_scale = 0.1

    lam: float | None = None
    lr: float = 0.1
    lr_end: float = 0.01
    steps: float = 50
    sigma: float | None = None
    critic: LearnedCritic | None = None
    data_term: str = static(default="code", choices=DATA_TERMS)
    patches: str = static(default="all")
    patch_size: int = static(default=15)

    def __post_init__(self):
        critic = self.critic
        if critic is None:
            critic = shipped_critic(self.patches)
        elif isinstance(critic, (str, Path)):
            critic = LearnedCritic.load(critic, self.patches)
        elif not isinstance(critic, LearnedCritic):
            raise ValueError(f"alr: critic must be a LearnedCritic or a checkpoint path, got {type(critic).__name__}")
        if self.patches not in PATCH_MODES:
            raise ValueError(f"alr: patches must be one of {PATCH_MODES}, got {self.patches!r}")
        if critic.patches != self.patches:
            critic = critic.with_patches(self.patches)
        object.__setattr__(self, "critic", critic)

    # -- eager checks ------------------------------------------------------------------------------
    def validate(self, problem):
        super().validate(problem)
        self.critic.check_image(tuple(problem.image_shape), "alr")
        h, w = problem.image_shape[:2]
        if self.data_term == "code" and min(h, w) < int(self.patch_size):
            raise ValueError(f"alr: data_term='code' weights pixels by {self.patch_size}×{self.patch_size} patch "
                             f"counts; the image is {h}×{w}")
        if self.lam is None and self._sigma(problem) is None:
            raise ValueError("alr: no λ given and the noise level is unknown: pass lam=... (CLI: --set lam=...) or "
                             "give the problem its noise level, Denoise(y, sigma=...) (λ then follows the critic's "
                             "table)")
        if self.lam is not None and is_concrete(self.lam) and not np.all(np.asarray(self.lam) >= 0):
            raise ValueError(f"alr: lam must be non-negative, got {self.lam!r}")
        if self.data_term == "paper":
            sigma = self._sigma(problem)
            if sigma is None:
                raise ValueError("alr: data_term='paper' needs the noise level: pass sigma=... to the method or "
                                 "use Denoise(y, sigma=...)")
            if is_concrete(sigma) and not np.all(np.asarray(sigma) > 0):
                raise ValueError(f"alr: sigma must be positive, got {sigma!r}")

    def _sigma(self, problem):
        return self.sigma if self.sigma is not None else getattr(problem, "sigma", None)

    # -- objective -----------------------------------------------------------------------------------
    def data_fidelity(self, x, problem):
        """``F(x)`` of ``data_term`` (module docstring)."""
        r = problem.residual(x)
        h, w = x.shape[:2]
        if self.data_term == "code":
            n = patch_weights(h, w, int(self.patch_size)).astype(x.dtype)
            return jnp.sum(n * r * r) / jnp.sum(n)
        return jnp.sum(r * r) / (2.0 * self._sigma(problem) ** 2 * h * w)

    def weight(self, problem):
        """λ: ``lam``, or when it is None the critic's λ for the problem's noise level (:func:`default_lam`)."""
        return self.lam if self.lam is not None else default_lam(self._sigma(problem), self.critic)

    def objective_terms(self, x, problem):
        """``(F(x) + λR(x), (F(x), R(x)))``."""
        data, reg = self.data_fidelity(x, problem), self.critic(x)
        return data + self.weight(problem) * reg, (data, reg)

    def learning_rate(self, k):
        """``lr · (lr_end/lr)^(min(k, steps−1)/(steps−1))`` at iteration ``k`` (from 0)."""
        return exponential_decay(self.lr, self.lr_end, self.steps)(k)

    # -- protocol --------------------------------------------------------------------------------------
    def _adam(self):
        return optax.scale_by_adam(b1=0.9, b2=0.999, eps=1e-8)

    def init(self, key, problem):
        x = problem.initial_image() if isinstance(problem, Inpaint) else problem.y
        nan = jnp.asarray(jnp.nan, x.dtype)
        return {"x": x, "adam": self._adam().init(x), "k": jnp.asarray(0, jnp.int32),
                "objective": nan, "data": nan, "reg": nan}

    def step(self, state, problem):
        x, k = state["x"], state["k"]
        (obj, (data, reg)), g = jax.value_and_grad(self.objective_terms, has_aux=True)(x, problem)
        direction, adam = self._adam().update(g, state["adam"], x)
        x = x - self.learning_rate(k).astype(x.dtype) * direction
        return {"x": x, "adam": adam, "k": k + 1, "objective": obj, "data": data, "reg": reg}

    def output(self, state):
        return state["x"]

    def diagnostics(self, state, problem):
        """The objective, F and R at the iterate the last step started from, and the step's learning rate."""
        return {"objective": state["objective"], "data": state["data"], "reg": state["reg"],
                "lr": self.learning_rate(jnp.maximum(state["k"] - 1, 0))}
