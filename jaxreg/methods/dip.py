"""Deep image prior (Ulyanov, Vedaldi & Lempitsky, "Deep image prior", CVPR 2018) for every problem, DIP-TV,
weight-regularised DIP and Wiener + DIP (Anderson, "Regularization and applications of a network structure deep
image prior", Stanford report).

A randomly initialised network ``g_θ`` with a fixed random input ``z`` is fitted to the observation through the
forward model; the network's structure is the prior.  One iteration (as the official notebooks):

    ε_t ~ N(0, I);   x_t = g_θ(z + σ_z ε_t)                               input perturbation ``reg_noise_std``
    L(θ) = mean((A x_t − y)²) + tv_weight · TV_ε(x_t) / n
           + l1_weight · Σ_W ‖W‖₁ + l2_weight · Σ_W ½‖W‖²                  (Anderson, §4.1; W = conv kernels)
    θ ← Adam(lr) step on ∇L(θ)
    x̄_t = ema · x̄_{t−1} + (1 − ema) · x_t                                exponential average (x̄_0 = g_θ₀(z))

with ``n`` the number of image entries and ``TV_ε(x) = Σ √((D_h x)² + (D_w x)² + ε)`` (differences without
wrap-around).  ``tv_weight > 0`` is DIP-TV (Liu, Sun, Xu & Kamilov, "Image restoration using total variation
regularized deep image prior", ICASSP 2019): method ``dip-tv``; its ADMM splitting is ``dip-tv-admm``.
Dropout (Anderson) is a property of the network: ``net=Autoencoder(p_keep=0.9)``; the method then draws a
dropout key every iteration and its image is the deterministic forward pass (no dropout) of the current θ.

**Fall-back.**  Every ``check_every`` iterations the PSNR of ``A x_t`` against ``y`` is compared with the last
check; if it dropped by more than ``fallback_db`` (5 dB) the parameters of the last check are restored (the
Adam state is kept), otherwise they become the new checkpoint.  The official denoising notebook tests
``if i % show_every:``, which fires on every iteration *not* divisible by 100 (reference notes §7.1); this is
the intended rule.

**Stopping without the ground truth** (:mod:`jaxreg.methods.early_stopping`).  DIP overfits, and the official
code picks the best iterate against the clean image, which a user does not have.  By default
(``stopping="es-wmv"``) the method keeps the image of the iteration where the windowed moving variance of its
reconstructions is smallest and stops (status ``CONVERGED``) once it has not improved for ``patience``
iterations.  ``output`` is that selection (the exponential average one mean filter delay, ``ema/(1 − ema)``
iterations, after the variance valley); ``iterate`` is the current image, so ``solve(..., reference=clean)``
records both ``psnr`` (of the selection) and ``psnr_iterate`` (the trajectory: its maximum is the *oracle*
best, a figure for reports only).  ``stopping="none"`` runs ``num_iters`` iterations and outputs the last image.
``stopping="sure"`` (with ``Denoise(..., sigma=σ)``), ``"holdout"`` (inpainting, compressive sensing) or
``"j-invariance"`` keeps the average with the lowest no-reference error estimate instead (:mod:`jaxreg.selection`;
measured less reliable than ES-WMV for DIP, docs/selection.md).

Network: ``net`` (a Flax module mapping ``(1, H, W, input_depth)`` to ``(1, H, W, C)``) or, by default, the
official ``skip`` network (:class:`jaxreg.nets.Skip`: 5 scales of 128, skip 4, bilinear, sigmoid) with
``input_depth = 32`` and ``z ~ U[0, 0.1)``; official denoising settings: ``lr = 0.01``, ``reg_noise_std = 1/30``,
``ema = 0.99``.  H and W must survive the network's stride-2 scales (≥ 32 for the default 5 scales).
"""

from __future__ import annotations

import numpy as np

from typing import ClassVar

import jax
import jax.numpy as jnp
import optax

from .._checks import is_concrete
from .._pytree import pytree_dataclass, static
from ..problems import Deblur, Denoise, Problem
from ..regularizers.tv import gradient, gradient_adjoint, shrink
from .admm import RHO_PER_LAM, balance_factor, norm
from .deep_prior import NetworkMethod, has_dropout
from .early_stopping import check_stopping, ema_delay
from .registry import register
from .wiener import REGULARISERS, wiener_deconvolve

SPATIAL = (0, 1)

# Settings of the authors' super-resolution notebook (``super-resolution.ipynb``, deep-image-prior repository):
# input_depth 32, z ~ U[0, 0.1), the same skip network (5 scales of 128, skip 4, bilinear, sigmoid), Adam with
# lr 0.01, input noise 0.03 (×4; 0.05 for ×8), MSE of the Lanczos-2-downsampled output against the
# observation, no TV, no averaging, no fall-back, no early stopping: the image after 2000 (×8: 4000) iterations.
PRESETS = {
    "sr": dict(lr=0.01, reg_noise_std=0.03, ema=0.0, stopping="none", fallback=False),
    "sr-x8": dict(lr=0.01, reg_noise_std=0.05, ema=0.0, stopping="none", fallback=False),
}
PRESET_ITERS = {"sr": 2000, "sr-x8": 4000}


def preset(name: str, method: str = "dip", **overrides):
    """``method`` (``dip`` or a variant such as ``dip-tv``) with the settings of an authors' notebook (``PRESETS``),
    fields overridden by keyword; ``PRESET_ITERS[name]`` is the notebook's number of iterations."""
    from .registry import get
    if name not in PRESETS:
        raise ValueError(f"unknown DIP preset {name!r}; available: {', '.join(PRESETS)}")
    return get(method, **{**PRESETS[name], **overrides})


def smooth_tv(x, eps=1e-8):
    """``Σ √((D_h x)² + (D_w x)² + eps)`` of an ``(H, W, C)`` image (no wrap-around; differentiable when flat)."""
    g = gradient(x, SPATIAL, (1.0, 1.0), circular=False)
    return jnp.sum(jnp.sqrt(g[0] * g[0] + g[1] * g[1] + eps))


def weight_norms(params):
    """``(Σ_W ‖W‖₁, Σ_W ½‖W‖²)`` over the convolution kernels (leaves named ``kernel``) of a Flax tree."""
    l1 = l2 = 0.0
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        if getattr(path[-1], "key", None) == "kernel":
            l1 = l1 + jnp.sum(jnp.abs(leaf))
            l2 = l2 + 0.5 * jnp.sum(leaf * leaf)
    return l1, l2


def _where_tree(pred, a, b):
    return jax.tree_util.tree_map(lambda u, v: jnp.where(pred, u, v), a, b)


@register
@pytree_dataclass
class DIP(NetworkMethod):
    """Deep image prior, stopped without the ground truth (ES-WMV); EMA, input noise, fall-back, weight penalties."""

    name = "dip"
    paper = "Ulyanov, Vedaldi & Lempitsky, CVPR 2018; regularisation: Anderson; ES-WMV: Wang et al., TMLR 2023"
    problems = (Problem,)
    positive = ("lr",)
    nonnegative = ("reg_noise_std", "ema", "tv_weight", "l1_weight", "l2_weight")

    lr: float = 0.01
    reg_noise_std: float = 1.0 / 30
    ema: float = 0.99
    tv_weight: float = 0.0
    l1_weight: float = 0.0
    l2_weight: float = 0.0
    stopping: str = static(default="es-wmv", metadata={"help": "es-wmv, sure, holdout, … (no reference) or none"})
    window: int = static(default=100)
    patience: int = static(default=1000)
    fallback: bool = static(default=True)
    check_every: int = static(default=100)
    fallback_db: float = static(default=5.0)

    # -- eager checks -------------------------------------------------------------------------------
    def validate(self, problem):
        super().validate(problem)
        check_stopping(self, "check_every")
        if is_concrete(self.ema) and not np.all((np.asarray(self.ema) >= 0) & (np.asarray(self.ema) < 1)):
            raise ValueError(f"{self.name}: ema must be in [0, 1), got {self.ema}")

    # -- pieces a variant may change ---------------------------------------------------------------------
    def fit_problem(self, problem, state):
        """The problem the network is fitted to (the observation itself; Wiener + DIP fits the Wiener image)."""
        return problem

    def data_term(self, mse):
        """The data term of the loss as a function of ``mean((A x − y)²)``: the MSE itself (DIP)."""
        return mse

    def extra_loss(self, x, state, n):
        """Terms of the loss beyond the data fidelity (a function of the network output ``x``)."""
        return self.tv_weight * smooth_tv(x) / n

    def extra_state(self, x, problem):
        """Extra initial state of a variant (ADMM variables, a fitting target); none by default."""
        return {}

    def extra_update(self, state, x):
        """Updates of extra state after the Adam step (ADMM splitting); none by default."""
        return {}

    # -- protocol --------------------------------------------------------------------------------------
    def init(self, key, problem):
        k_param, k_z, k_run = jax.random.split(key, 3)
        params, z, x = self.init_network(k_param, k_z, problem)
        state = {"params": params, "opt": self.init_optimizer(optax.adam(self.lr), params, z), "z": z,
                 "key": k_run, "x": x, "avg": x, "t": jnp.asarray(0, jnp.int32), "loss": jnp.asarray(jnp.inf, x.dtype),
                 "check_params": params, "check_z": z, "check_psnr": jnp.asarray(-jnp.inf, x.dtype),
                 "fallbacks": jnp.asarray(0, jnp.int32)}
        state.update(self.extra_state(x, problem))
        return state

    def step(self, state, problem):
        h, w, c = problem.image_shape
        net = self.network(c)
        target = self.fit_problem(problem, state)
        dropout = has_dropout(net)
        key, k_noise, k_drop = jax.random.split(state["key"], 3)
        noise = self.reg_noise_std * jax.random.normal(k_noise, state["z"].shape, state["z"].dtype)
        n = h * w * c

        def loss_fn(params, z):
            rngs = {"dropout": k_drop} if dropout else None
            x = net.apply(params, z + noise, rngs=rngs)[0]
            fidelity = jnp.mean(jnp.square(target.residual(x)))
            l1, l2 = weight_norms(params)
            loss = self.data_term(fidelity) + self.extra_loss(x, state, n) + self.l1_weight * l1 + self.l2_weight * l2
            return loss, (x, fidelity)

        params, z, opt, loss, (x, fidelity) = self.network_step(optax.adam(self.lr), loss_fn, state["params"],
                                                                state["z"], state["opt"])
        if dropout:  # the image of a dropout network is its deterministic forward pass (expectation of the mask)
            x = net.apply(state["params"], state["z"], deterministic=True)[0]

        # fall-back (the intended rule of the official notebook): at every check, restore the last
        # checkpoint when the PSNR of A x against y dropped by more than fallback_db
        t = state["t"] + 1
        check = (t % self.check_every) == 0
        psnr_y = -10.0 * jnp.log10(jnp.maximum(fidelity, jnp.finfo(fidelity.dtype).tiny))
        fall = check & (psnr_y < state["check_psnr"] - self.fallback_db) & self.fallback
        params = _where_tree(fall, state["check_params"], params)
        z = jnp.where(fall, state["check_z"], z)
        keep = check & ~fall
        avg = self.ema * state["avg"] + (1.0 - self.ema) * x
        new = dict(state, params=params, z=z, opt=opt, key=key, x=x, avg=avg, t=t, loss=loss,
                   check_params=_where_tree(keep, params, state["check_params"]),
                   check_z=jnp.where(keep, z, state["check_z"]),
                   check_psnr=jnp.where(keep, psnr_y, state["check_psnr"]),
                   fallbacks=state["fallbacks"] + fall.astype(jnp.int32))
        new.update(self.extra_update(state, x))
        return new

    def ema_delay(self):
        """Mean delay of the exponential average, ``round(ema / (1 − ema))`` iterations (0 without averaging)."""
        return ema_delay(self.ema)

    def stopping_delay(self):
        return self.ema_delay()

    def output(self, state):
        return state["avg"]

    def iterate(self, state):
        return state["x"]

    def diagnostics(self, state, problem):
        return {"loss": state["loss"], "fallbacks": state["fallbacks"]}


@register
@pytree_dataclass
class DIPTV(DIP):
    """DIP-TV: DIP with a differentiable isotropic TV term on the output (Liu et al., ICASSP 2019)."""

    name = "dip-tv"
    paper = "Liu, Sun, Xu & Kamilov, Image restoration using total variation regularized deep image prior, ICASSP 2019"

    tv_weight: float = 0.01


@register
@pytree_dataclass
class DIPTVADMM(DIP):
    """DIP-TV by ADMM splitting ``s = D x`` (one Adam step on θ per ADMM iteration).

    For ``min_θ mean((A g_θ − y)²) + (λ/n) ‖s‖_{2,1}`` subject to ``s = D g_θ`` (``λ = tv_weight``; ``D`` the
    horizontal and vertical differences without wrap-around), with scaled dual ``u``:

        θ ← Adam step on  mean((A g_θ(z) − y)²) + (ρ / 2n) ‖D g_θ(z) − s + u‖²
        s ← shrink(D x + u, λ/ρ)          (group soft thresholding)
        u ← u + D x − s

    where ``x`` is the network output of the θ-step (Boyd et al. 2011, §3; Liu et al. 2019).  ρ starts at
    ``10 · tv_weight`` (``rho=None``) and follows relative residual balancing (``adaptive=True``, as ``tv``:
    ``r = ‖D x − s‖``, ``s = ρ‖Dᵀ(s − s_prev)‖``; ×2 or ÷2 when one relative residual exceeds 10× the other,
    the scaled dual rescaled).  With a fixed ρ = 1 the splitting ended 13–51 % above direct DIP-TV's objective
    at tv_weight = 1e-3; with the defaults within 5 % for tv_weight from 1e-3 to 1
    (``tests/test_admm_convergence.py``).
    """

    name = "dip-tv-admm"
    paper = "Liu, Sun, Xu & Kamilov, ICASSP 2019; ADMM: Boyd, Parikh, Chu, Peleato & Eckstein 2011"
    positive = ("lr", "rho")

    tv_weight: float = 0.01
    rho: float | None = None
    adaptive: bool = static(default=True, metadata={"help": "relative residual balancing of rho (default on)"})

    def initial_rho(self):
        """The penalty's starting value: ``rho``, or ``10 · tv_weight`` when ``rho`` is None (default)."""
        return RHO_PER_LAM * self.tv_weight if self.rho is None else self.rho

    def extra_state(self, x, problem):
        zeros = jnp.zeros((2,) + x.shape, x.dtype)
        inf = jnp.asarray(jnp.inf, x.dtype)
        return {"split": zeros, "dual": zeros, "rho": jnp.asarray(self.initial_rho(), x.dtype),
                "primal_residual": inf, "dual_residual": inf}

    def extra_loss(self, x, state, n):
        r = gradient(x, SPATIAL, (1.0, 1.0), circular=False) - state["split"] + state["dual"]
        return 0.5 * state["rho"] * jnp.sum(r * r) / n

    def extra_update(self, state, x):
        rho = state["rho"]
        gx = gradient(x, SPATIAL, (1.0, 1.0), circular=False)
        split = shrink(gx + state["dual"], self.tv_weight / rho)
        dual = state["dual"] + gx - split
        r = norm(gx - split)
        s = rho * norm(gradient_adjoint(split - state["split"], SPATIAL, (1.0, 1.0), circular=False))
        new = {"split": split, "dual": dual, "rho": rho, "primal_residual": r, "dual_residual": s}
        if self.adaptive:  # relative residual balancing (Wohlberg 2017), as in ``tv``
            factor = balance_factor(r, s, jnp.maximum(norm(gx), norm(split)),
                                    rho * norm(gradient_adjoint(dual, SPATIAL, (1.0, 1.0), circular=False)))
            new.update(rho=rho * factor, dual=dual / factor)
        return new

    def diagnostics(self, state, problem):
        return dict(super().diagnostics(state, problem), primal_residual=state["primal_residual"],
                    dual_residual=state["dual_residual"], rho=state["rho"])


@register
@pytree_dataclass
class WienerDIP(DIP):
    """Wiener + DIP (Anderson, §5.1): Wiener-deconvolve, then fit a DIP to the Wiener image.

    The defaults are the paper's: the no-skip autoencoder (:class:`jaxreg.nets.Autoencoder`) and Adam with
    ``lr = 1e-4``; the Wiener step is :func:`jaxreg.methods.wiener.wiener_deconvolve` with ``balance`` and
    ``reg``.  The network never sees the blur, so it can only denoise the Wiener image (the paper's point).
    """

    name = "wiener-dip"
    paper = "Anderson, Regularization and applications of a network structure deep image prior, Stanford report"
    problems = (Deblur,)
    nonnegative = DIP.nonnegative + ("balance",)

    lr: float = 1e-4
    balance: float = 0.01
    reg: str = static(default="laplacian", choices=REGULARISERS)

    default_net: ClassVar[str] = "Autoencoder"

    def extra_state(self, x, problem):
        return {"target": wiener_deconvolve(problem.y, problem.kernel, self.balance, self.reg)}

    def fit_problem(self, problem, state):
        return Denoise(state["target"])
