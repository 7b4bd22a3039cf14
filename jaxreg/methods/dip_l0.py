"""DIP-ℓ0: deep image prior with the ℓ0 gradient regulariser, solved by ADMM (Tran, Bui & Xin, "Deep image
prior with L0 gradient regularizer for image smoothing", Algorithm 1).

Problem (3) of the paper, with a forward operator ``A`` (``A = I`` in the paper: smoothing, JPEG artefacts):

    min_θ ‖A g_θ(z) − y‖² + λ ‖∇ g_θ(z)‖₀

Splitting ``v = g_θ(z)`` with multiplier ``w`` and penalty ``β`` gives the ADMM iteration t = 0 … T−1
(eqs. 6a–6c, 7; sums over pixels and channels, as the authors' code):

    θ^{t+1}  ≈ argmin_θ ‖A g_θ − y‖² + ⟨w^t, v^t − g_θ⟩ + β/2 ‖v^t − g_θ‖²       K Adam steps (lr α), (6a)
    g^{t+1}  = g_{θ^{t+1}}(z)
    v^{t+1}  = argmin_v ‖v − (g^{t+1} − w^t/β)‖² + (2λ/β) ‖∇v‖₀                   ℓ0 step, (6b)
    w^{t+1}  = w^t + β (v^{t+1} − g^{t+1})                                         (6c)
    u^{t+1}  = γ u^t + (1 − γ) g^{t+1}       ``average="code"`` (default: the authors' code, which produced
               γ g^{t+1} + (1 − γ) u^t       ``average="paper"``   the published tables; paper eq. 7)

with ``v⁰, w⁰ ~ U[0, 1]`` (from the key), ``u⁰ = Aᵀy`` (``f`` for ``A = I``) and one Adam state for the whole
run.  The output is ``u^T``; the piecewise-constant ``v^T`` is ``result.state["v"]``.  The paper runs a fixed
``T`` (``num_iters``; 100 for both of its experiments) and no clean image is used (``stopping="none"``, the
default); ``stopping="j-invariance"`` or ``"holdout"`` keeps the ``u^t`` with the lowest no-reference error
estimate (:mod:`jaxreg.selection`; SURE's finite difference is unreliable through the ℓ0 step's hard decisions).  The paper's γ = 0.9 weights the *new* output; the code weights it 0.1, so its ``u`` moves slowly from
``f`` towards the network output.

**ℓ0 step** (``l0_step``):

* ``"fusion"`` (default): region fusion inside the compiled graph (:func:`jaxreg.regularizers.region_fusion`,
  the parallel algorithm) for ``E(v) = ‖v − q‖² + λ_RF #{4-neighbour pairs with v_p ≠ v_q}``, ``λ_RF = 2λ/β``,
  ``max_loop`` passes (the code's 50); runs under ``vmap`` and on accelerators.
* ``"fusion-exact"``: the authors' sequential region fusion on the host (``jax.pure_callback``), as the code.
* ``"l0-smoothing"``: the half-quadratic ℓ0 solver of Xu et al. 2011 (:func:`jaxreg.regularizers.l0.l0_smooth`
  with λ = 2λ/β), the "off-the-shelf ℓ0 gradient minimization solver" of the abstract.  Note that it counts
  *pixels* with a non-zero gradient where region fusion counts neighbour *pairs*.

Defaults are the authors' clip-art script (``--Lambda 0.025 --Beta 2.00 --inner_iter 25 --lr 1e-3``, T = 100);
the NKS script uses β = 2.25.  The network and its input are the code's: the default skip network (5 scales of
128, skip 4, bilinear, sigmoid), ``z ~ U[0, 0.1)`` with 32 channels, no input perturbation.
"""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
import optax

from .._checks import is_concrete
from .._pytree import pytree_dataclass, static
from ..problems import Problem
from ..regularizers.l0 import l0_smooth
from ..regularizers.region_fusion import count_jumps, region_fusion
from ..selection import CRITERIA
from .deep_prior import NetworkMethod
from .registry import register

L0_STEPS = ("fusion", "fusion-exact", "l0-smoothing")
AVERAGES = ("code", "paper")


def l0_prox(q, lam, *, l0_step: str = "fusion", max_loop: int = 50):
    """``argmin_v ‖v − q‖² + lam · ‖∇v‖₀`` (approximately) by the chosen ℓ0 solver (module docstring)."""
    if l0_step == "l0-smoothing":
        return l0_smooth(q, lam)
    return region_fusion(q, lam, max_loop=max_loop, exact=l0_step == "fusion-exact")


def exponential_average(u, g, gamma, average: str):
    """``γ u + (1 − γ) g`` (the authors' code) or ``γ g + (1 − γ) u`` (the paper's eq. 7)."""
    return gamma * u + (1.0 - gamma) * g if average == "code" else gamma * g + (1.0 - gamma) * u


@register
@pytree_dataclass
class DIPL0(NetworkMethod):
    """DIP-ℓ0 (Tran et al., Algorithm 1): ADMM with K Adam steps on θ and an ℓ0 step by region fusion per iteration."""

    name = "dip-l0"
    paper = "Tran, Bui & Xin, Deep image prior with L0 gradient regularizer for image smoothing"
    problems = (Problem,)
    positive = ("lam", "beta", "lr")

    lam: float = 0.025
    beta: float = 2.0
    lr: float = 1e-3
    gamma: float = 0.9
    num_inner: int = static(default=25, metadata={"help": "K: Adam steps on θ per ADMM iteration"})
    l0_step: str = static(default="fusion", choices=L0_STEPS,
                          metadata={"help": "fusion (in-graph), fusion-exact (host) or l0-smoothing"})
    average: str = static(default="code", choices=AVERAGES,
                          metadata={"help": "code: u = γu + (1−γ)g; paper: u = γg + (1−γ)u"})
    max_loop: int = static(default=50, metadata={"help": "region-fusion passes"})
    stopping: str = static(default="none", metadata={"help": "none (T = num_iters, the paper) or a no-reference "
                                                             "criterion: holdout, j-invariance, sure"})
    patience: int = static(default=20, metadata={"help": "iterations without improvement of the criterion"})

    def validate(self, problem):
        super().validate(problem)
        if self.stopping not in ("none",) + CRITERIA:
            raise ValueError(f"{self.name}: stopping must be one of {('none',) + CRITERIA}, got {self.stopping!r}")
        for field in ("num_inner", "max_loop"):
            if int(getattr(self, field)) < 1:
                raise ValueError(f"{self.name}: {field} must be >= 1, got {getattr(self, field)}")
        if is_concrete(self.gamma) and not np.all((np.asarray(self.gamma) >= 0) & (np.asarray(self.gamma) <= 1)):
            raise ValueError(f"{self.name}: gamma must be in [0, 1], got {self.gamma}")

    def init(self, key, problem):
        k_param, k_z, k_v, k_w = jax.random.split(key, 4)
        params, z, g = self.init_network(k_param, k_z, problem)
        shape, dtype = problem.image_shape, g.dtype
        return {"params": params, "opt": self.init_optimizer(optax.adam(self.lr), params, z), "z": z, "g": g,
                "v": jax.random.uniform(k_v, shape, dtype), "w": jax.random.uniform(k_w, shape, dtype),
                "u": problem.initial_image().astype(dtype), "loss": jnp.asarray(jnp.inf, dtype)}

    def step(self, state, problem):
        net = self.network(problem.image_shape[-1])
        v, w, beta = state["v"], state["w"], self.beta

        def loss_fn(params, z):  # (6a): sums over pixels and channels
            g = net.apply(params, z)[0]
            r = problem.residual(g)
            d = v - g
            return jnp.sum(r * r) + jnp.sum(w * d) + 0.5 * beta * jnp.sum(d * d), None

        def inner(carry, _):
            params, z, opt, loss, _aux = self.network_step(optax.adam(self.lr), loss_fn, *carry)
            return (params, z, opt), loss

        (params, z, opt), losses = jax.lax.scan(inner, (state["params"], state["z"], state["opt"]), None,
                                                length=self.num_inner)
        g = net.apply(params, z)[0]
        v = l0_prox(g - w / beta, 2.0 * self.lam / beta, l0_step=self.l0_step, max_loop=self.max_loop)  # (6b)
        w = w + beta * (v - g)  # (6c)
        u = exponential_average(state["u"], g, self.gamma, self.average)  # (7)
        return dict(state, params=params, z=z, opt=opt, g=g, v=v, w=w, u=u, loss=losses[-1])

    def output(self, state):
        return state["u"]

    def diagnostics(self, state, problem):
        r = problem.residual(state["g"])
        return {"loss": state["loss"],
                "objective": jnp.sum(r * r) + self.lam * count_jumps(state["v"]),  # (3) with ‖∇v‖₀
                "constraint": jnp.sqrt(jnp.mean(jnp.square(state["v"] - state["g"])))}  # RMS of v − g
