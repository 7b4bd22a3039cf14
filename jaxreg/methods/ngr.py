"""NGR: the neural gradient regulariser (Xu, Wang, Zhao, Peng, Cao, Meng, Zhang, Timofte & Van Gool, "Neural
Gradient Regularizer"; code ``yyfz/Neural-Gradient-Regularizer``).

Three untrained networks ``f_Θi`` (one per axis ``i ∈ {h, v, t}``, :class:`jaxreg.nets.NGRNet`), fed a fixed
random input ``G⁰`` perturbed every iteration, predict the gradient maps of the image; the image is tied to them
by ``λ_i/2 ‖∇_i X − f_Θi(G⁰)‖²`` (paper eq. 7, ``λ_h = λ_v = 1``, ``λ_t = lam_t``).  ``∇_i`` are circular forward
differences, so every X-update is a diagonal solve in the 3-D DFT (``T = Σ_{h,v} 2 − 2cos(2πk/N)``,
``T₁ = 2 − 2cos(2πk_t/N_t)``; :func:`x_update`).

**Data layout.**  Images are ``(H, W, C)``: RGB, or hyperspectral with the bands on the last axis.  Video
``(T, H, W, C)`` is stacked to ``(H, W, C·T)`` (colour-major: for each colour its T frames, so ``∇_t`` is the
temporal difference; :func:`to_stack`), solved, and unstacked; a grey video is ``(H, W, T)`` exactly as the
authors'.  The third axis is circular, as in the code (a difference between the last and the first frame/band).

``ngr`` — inpainting (paper Algorithm 1, eqs. 10–17), ``P_Ω(X + K) = P_Ω(Y)``, multiplier ``Λ``::

    Θ ← Adam step on  Σ_i λ_i/2 ‖∇_i X − f_Θi(G⁰ + σ_z ε)‖²                       (11)
    K ← (1 − Ω) ⊙ (Y − X + Λ/μ)                                                   (12)
    X ← F⁻¹[ F(Σ_i λ_i ∇_iᵀ f_Θi + μ(Y − K) + Λ) / (μ + T + λ_t T₁) ]              (15, 16)
    Λ ← Λ + μ (Y − X − K);   μ ← min(μ_max, ρ μ)                                  (17)

``order="paper"`` (default) is that order, the X-update using the networks after the Adam step (one extra
forward pass); ``order="code"`` is the authors' code: the networks' output *before* the step, X before K (the
Adam step, computed from the same pre-update X, is applied last).  Output ``Ω ⊙ Y + (1 − Ω) ⊙ X`` in [0, 1].

``ngr-denoise`` — denoising (the code; the paper defers it to its supplement), and deblurring beyond the paper:
``Y = A X + S`` with ``A = I`` (:class:`~jaxreg.problems.Denoise`) or a circular blur
(:class:`~jaxreg.problems.Deblur`), ``λ ‖S‖²`` (``mode="gaussian"``) or ``λ ‖S‖₁`` (``"mixed"``: impulse noise,
stripes, deadlines), constraints ``∇_i X = F_i`` with multipliers ``Γ_i`` and ``Y = AX + S`` with ``Γ``::

    Θ ← Adam step (coupled weight decay) on  Σ_i ‖A F_i − ∇_i Y‖²
          + μ₁₂/2 (‖∇_h X − F_h + Γ_h/μ₁₂‖² + ‖∇_v X − F_v + Γ_v/μ₁₂‖²) + μ₃/2 ‖∇_t X − F_t + Γ_t/μ₃‖²
    X ← F⁻¹[ F(Σ_i ∇_iᵀ(μ_i F_i − Γ_i) + Aᵀ(μ(Y − S) + Γ)) / (μ|F(A)|² + μ₁₂ T + μ₃ T₁) ]
    S ← soft(Y − AX + Γ/μ, λ/μ)   (mixed)   |   (Γ + μ(Y − AX)) / (2λ + μ)   (gaussian)
    Γ_i ← Γ_i + μ_i (∇_i X − F_i);   Γ ← Γ + μ (Y − AX − S);   μ, μ₁₂, μ₃ ← min(max, ρ ·)
    output ← 0.99 · output + 0.01 · X  (restarted at X in iteration ``average_start``), in [0, 1]

``F_i`` are the networks' outputs before the step.  For ``A = I`` the first term is the code's ``‖F_i − ∇_i Y‖²``;
for a blur it is its natural extension (``∇_i`` commutes with a circular blur, so ``∇_i Y ≈ A ∇_i X``).

**The average starts at iteration 2** (``average_start=2``, default; the code: ``average_start=1``).  With the
code's initialisation (below) the first X overshoots: at the zero frequency ``X¹ = Y + Γ⁰/μ⁰ = (1 + 1/α) Y``
(51 Y for the video preset, α = 0.02), after which ``Γ`` is ≈ 0 and the iterates are sane.  The code's average
starts from ``X¹``, whose weight ``0.99ᵗ`` keeps the output saturated for hundreds of iterations (4.3 dB after 300
iterations of the video preset on a deblurring test, a white image); harmless after the code's 4000 iterations,
wrong for shorter runs.  Starting at ``X²`` removes the overshoot and changes nothing else.

**Initialisation** (code): ``dn = max(σ_max(Y as a C × HW matrix), ‖Y‖_∞ / λ)`` (``λ = lam_t`` for inpainting,
``lam`` for denoising), ``μ = α/dn``, ``Λ = Γ = Γ_i = Y/dn``; inpainting ``K = 0``, ``X = Ω ⊙ Y + (1 − Ω) ⊙ U[0,1)``;
denoising ``X = Y``, ``S = 0``, ``μ₁₂ = β μ``, ``μ₃ = γ μ``.  Input ``G⁰ ~ U[0, 0.1)`` with ``input_depth`` channels
(default: the image's), perturbed by ``reg_noise_std · N(0, 1)`` each iteration (0 for decloud).

**Selection without the ground truth.**  The official code reports the iterate with the best PSNR against the
clean image and restores the weights when that PSNR drops by 5 dB — both need the ground truth.  Here the run
stops after ``num_iters`` (``stopping="none"``, default) or by the windowed-variance rule (``"es-wmv"``,
:mod:`jaxreg.methods.early_stopping`) and outputs that image; ``solve(..., reference=clean)`` records the
trajectory, whose maximum is the oracle figure (for reports only).

Presets (:func:`preset`): the authors' configs (reference notes §2).
"""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
import optax

from .._checks import is_concrete
from .._pytree import pytree_dataclass, static
from ..operators import difference_symbol, gradient, gradient_adjoint, solve_diagonal_fft
from ..problems import Deblur, Denoise, Inpaint
from ..regularizers.tv import soft_threshold
from .deep_prior import NetworkMethod
from .early_stopping import check_stopping, ema_delay
from .registry import register

AXES = (0, 1, 2)  # h (rows), v (columns), t (channels / frames / bands) of the stacked (H, W, K) array
ORDERS = ("paper", "code")
MODES = ("gaussian", "mixed")


# -- layout ------------------------------------------------------------------------------------------------------
def to_stack(x):
    """``(H, W, C)`` unchanged; video ``(T, H, W, C)`` → ``(H, W, C·T)``, index ``c·T + t``."""
    if x.ndim == 3:
        return x
    t, h, w, c = x.shape
    return jnp.transpose(x, (1, 2, 3, 0)).reshape(h, w, c * t)


def from_stack(s, shape):
    """Inverse of :func:`to_stack` for an image of ``shape``."""
    if len(shape) == 3:
        return s
    t, h, w, c = shape
    return jnp.transpose(s.reshape(h, w, c, t), (3, 0, 1, 2))


# -- the linear algebra shared by both solvers --------------------------------------------------------------------
def gradients(x):
    """``(∇_h x, ∇_v x, ∇_t x)``: circular forward differences along the three axes."""
    return tuple(gradient(x, AXES, circular=True))


def gradients_adjoint(fs):
    """``Σ_i ∇_iᵀ f_i`` (circular)."""
    return gradient_adjoint(fs, AXES, circular=True)


def x_update(rhs, mu, w_spatial, w_t, blur_symbol=None):
    """Solve ``(μ AᵀA + w_s (∇_hᵀ∇_h + ∇_vᵀ∇_v) + w_t ∇_tᵀ∇_t) X = rhs`` exactly by the 3-D DFT (eq. 16).

    ``A = I`` without ``blur_symbol``; for a circular blur ``blur_symbol`` is ``|F(k)|²`` of shape ``(H, W, 1)``
    (:meth:`jaxreg.operators.CircularConvolution.symbol`), constant along the third axis, so the system stays
    diagonal.
    """
    data = mu if blur_symbol is None else mu * blur_symbol
    symbol = data + difference_symbol(rhs.shape, {0: w_spatial, 1: w_spatial, 2: w_t})
    return solve_diagonal_fft(rhs, symbol)


def spectral_norm(y):
    """Largest singular value of ``y`` read as a ``K × HW`` matrix (square root of the top eigenvalue of YᵀY)."""
    m = y.reshape(-1, y.shape[-1])
    return jnp.sqrt(jnp.maximum(jnp.linalg.eigvalsh(m.T @ m)[-1], 0.0))


def penalty_scale(y, lam):
    """The code's ``dn = max(σ_max(Y), ‖Y‖_∞ / λ)``."""
    return jnp.maximum(spectral_norm(y), jnp.max(jnp.abs(y)) / lam)


PRESETS = {
    # inpainting (``ngr``): configs ngr_inpainting_rgb / ngr_inpainting_mc; decloud = mc without input noise
    "rgb-inpainting": ("ngr", dict(lam_t=0.5, mu_max=50.0, alpha=0.1, rho=1.2, lr=0.01, reg_noise_std=0.03)),
    "multichannel-inpainting": ("ngr", dict(lam_t=5.0, mu_max=50.0, alpha=0.1, rho=1.2, lr=0.01,
                                            reg_noise_std=0.03)),
    "decloud": ("ngr", dict(lam_t=5.0, mu_max=50.0, alpha=0.1, rho=1.2, lr=0.01, reg_noise_std=0.0)),
    # denoising (``ngr-denoise``): ngr_video_denoising, ngr_HSI_denoising (mixed) and its Gaussian variant
    "video-denoising": ("ngr-denoise", dict(mode="gaussian", rho=1.05, lam=2.0, mu_max=0.16, mu12_max=0.16,
                                            mu3_max=0.34, alpha=0.02, beta=150.0, gamma=150.0)),
    "hsi-mixed-denoising": ("ngr-denoise", dict(mode="mixed", rho=1.2, lam=3.0, mu_max=0.16, mu12_max=0.16,
                                                mu3_max=0.6, alpha=1.0, beta=2.0, gamma=150.0)),
    "hsi-gaussian-denoising": ("ngr-denoise", dict(mode="gaussian", rho=1.05, lam=4.0, mu_max=0.16,
                                                   mu12_max=0.16, mu3_max=0.4, alpha=1.0, beta=150.0,
                                                   gamma=150.0)),
}


def preset(name: str, **overrides):
    """The config of one of the authors' presets (``PRESETS``), with ``overrides``.

    The official iteration counts are 15000 (inpainting) and 4000 (denoising); pass them as ``num_iters``.
    """
    from .registry import get
    if name not in PRESETS:
        raise ValueError(f"unknown NGR preset {name!r}; available: {', '.join(PRESETS)}")
    method, params = PRESETS[name]
    return get(method, **{**params, **overrides})


@pytree_dataclass
class _NGRBase(NetworkMethod):
    """What both NGR solvers share: the three gradient networks, their perturbed input, Adam and stopping."""

    positive = ("lr", "alpha", "rho")
    nonnegative = ("reg_noise_std",)
    image_ranks = (3, 4)

    lr: float = 0.01
    reg_noise_std: float = 0.03
    alpha: float = 0.1
    rho: float = 1.2
    input_depth: int | None = static(default=None, metadata={"help": "channels of G⁰ (default: the image's)"})
    backbone: str = static(default="skip", metadata={"help": "skip (paper), unet, resnet or convblocks (Fig. 13)"})
    width: int | None = static(default=None, metadata={"help": "backbone width (skip: 128)"})
    stopping: str = static(default="none", metadata={"help": "none (num_iters), es-wmv, sure, holdout, … (no reference)"})
    window: int = static(default=100)
    patience: int = static(default=1000)

    own_prior_fields = ("backbone", "width")
    # a prior's network class → the NGRNet backbone that builds each of the three gradient networks from it
    BACKBONE_OF = {"Skip": "skip", "UNet": "unet", "ResNet": "resnet", "ConvBlocks": "convblocks", "DRPNet": "drp"}

    def validate(self, problem):
        super().validate(problem)
        check_stopping(self)
        if self.prior is not None and self.prior.net is None and self.prior.architecture not in self.BACKBONE_OF:
            raise ValueError(f"{self.name}: a prior's architecture must be one of {tuple(self.BACKBONE_OF)} (each of "
                             f"the three gradient networks is one), got {self.prior.architecture!r}")
        shape = problem.image_shape
        k = shape[-1] * (shape[0] if len(shape) == 4 else 1)
        if k < 2:
            raise ValueError(f"{self.name}: the third axis (channels × frames) must have at least 2 entries, got {k}")

    def network(self, channels: int):
        """The three gradient networks (:class:`jaxreg.nets.NGRNet`): each a ``backbone`` of ``width``, or, with
        ``prior``, of the prior's architecture and its ``width`` option (input and training from the prior)."""
        prior = self.deep_prior()
        if prior.net is not None:
            return prior.net
        from ..nets import NGRNet
        backbone, width = self.backbone, self.width
        if self.prior is not None:
            backbone, width = self.BACKBONE_OF[prior.architecture], dict(prior.options).get("width")
        return NGRNet(out_channels=channels, backbone=backbone, upsample_mode=self.upsample_mode, width=width)

    def init_gradient_nets(self, k_param, k_z, shape):
        """``(params, optimizer state, G⁰)`` for a stacked ``(H, W, K)`` array."""
        h, w, k = shape
        net = self.network(k)
        z = self.draw_input(k_z, k, (h, w), net)
        params = net.init(k_param, z)
        if self.stacks(net):
            params = net.stack(params)
        outs = self.apply_nets(net, params, z)
        if not (isinstance(outs, (tuple, list)) and len(outs) == 3
                and all(o.shape == (1, h, w, k) for o in outs)):
            got = [getattr(o, "shape", None) for o in outs] if isinstance(outs, (tuple, list)) else outs.shape
            raise ValueError(f"{self.name}: the network must map {z.shape} to three (1, {h}, {w}, {k}) gradient "
                             f"maps, got {got}")
        return params, self.init_optimizer(self.optimizer(), params, z), z

    @staticmethod
    def stacks(net) -> bool:
        """Whether the three gradient networks are kept stacked (an :class:`NGRNet`; a prior's own network is
        applied as it is)."""
        from ..nets import NGRNet
        return isinstance(net, NGRNet)

    def apply_nets(self, net, params, z):
        """``(F_h, F_w, F_c)``, each ``(1, H, W, K)``: one traced backbone over the stacked parameters of an
        :class:`NGRNet` (:meth:`NGRNet.apply_stacked`), else ``net.apply``."""
        return net.apply_stacked(params, z) if self.stacks(net) else net.apply(params, z)

    def optimizer(self):
        return optax.adam(self.lr)

    def input_noise(self, state):
        """``(next key, σ_z ε)``: the perturbation added to the input this iteration."""
        key, k_noise = jax.random.split(state["key"])
        return key, self.reg_noise_std * jax.random.normal(k_noise, state["z"].shape, state["z"].dtype)

    def output(self, state):
        return state["out"]


@register
@pytree_dataclass
class NGR(_NGRBase):
    """NGR inpainting (Xu et al., Algorithm 1): Adam on the gradient networks, then K, X (FFT) and Λ updates."""

    name = "ngr"
    paper = "Xu et al., Neural Gradient Regularizer, Algorithm 1"
    problems = (Inpaint,)
    positive = _NGRBase.positive + ("mu_max", "lam_t")

    lam_t: float = 0.5
    mu_max: float = 50.0
    order: str = static(default="paper", choices=ORDERS,
                        metadata={"help": "paper: Θ, K, X, Λ; code: X before K, pre-step F"})
    upsample_mode: str = static(default="nearest", metadata={"help": "upsampling of the skip nets (code: nearest)"})

    @staticmethod
    def observed(problem):
        """``(Ω, P_Ω(Y))`` in the stacked layout, the mask broadcast to every channel."""
        shape = problem.image_shape
        m = problem.mask.astype(problem.y.dtype)
        m = jnp.broadcast_to(m.reshape(m.shape + (1,) * (len(shape) - m.ndim)), shape)
        return to_stack(m), to_stack(m * problem.y)

    def init(self, key, problem):
        k_param, k_z, k_x, k_run = jax.random.split(key, 4)
        omega, y = self.observed(problem)
        params, opt, z = self.init_gradient_nets(k_param, k_z, y.shape)
        dn = penalty_scale(y, self.lam_t)
        x = omega * y + (1.0 - omega) * jax.random.uniform(k_x, y.shape, y.dtype)
        out = from_stack(jnp.clip(omega * y + (1.0 - omega) * x, 0.0, 1.0), problem.image_shape)
        state = {"params": params, "opt": opt, "z": z, "key": k_run, "x": x, "k": jnp.zeros_like(y),
                 "lagrange": y / dn, "mu": self.alpha / dn, "out": out, "loss": jnp.asarray(jnp.inf, y.dtype)}
        return state

    def step(self, state, problem):
        omega, y = self.observed(problem)
        net = self.network(y.shape[-1])
        key, noise = self.input_noise(state)
        x, mu, lam_t = state["x"], state["mu"], self.lam_t
        weights = (1.0, 1.0, lam_t)

        def predict(params, z):
            return tuple(f[0] for f in self.apply_nets(net, params, z + noise))

        def loss_fn(params, z):  # (11), X fixed
            fs = predict(params, z)
            loss = sum(0.5 * w * jnp.sum(jnp.square(g - f)) for w, g, f in zip(weights, gradients(x), fs))
            return loss, fs

        params, z, opt, loss, fs = self.network_step(self.optimizer(), loss_fn, state["params"], state["z"],
                                                     state["opt"])

        def solve_x(fs, k):  # (15)-(16)
            rhs = gradients_adjoint(tuple(w * f for w, f in zip(weights, fs))) + mu * (y - k) + state["lagrange"]
            return x_update(rhs, mu, 1.0, lam_t)

        def solve_k(x):  # (12)
            return (1.0 - omega) * (y - x + state["lagrange"] / mu)

        if self.order == "paper":
            k = solve_k(x)
            x = solve_x(predict(params, z), k)
        else:
            x = solve_x(fs, state["k"])
            k = solve_k(x)
        lagrange = state["lagrange"] + mu * (y - x - k)  # (17)
        out = from_stack(jnp.clip(omega * y + (1.0 - omega) * x, 0.0, 1.0), problem.image_shape)
        new = dict(state, params=params, z=z, opt=opt, key=key, x=x, k=k, lagrange=lagrange,
                   mu=jnp.minimum(self.mu_max, self.rho * mu), out=out, loss=loss)
        return new

    def diagnostics(self, state, problem):
        omega, y = self.observed(problem)
        r = y - state["x"] - state["k"]
        return {"loss": state["loss"], "mu": state["mu"], "constraint": jnp.sqrt(jnp.mean(r * r))}


@register
@pytree_dataclass
class NGRDenoise(_NGRBase):
    """NGR denoising (the authors' code) and deblurring by circular blur: ADMM with a sparse or Gaussian residual."""

    name = "ngr-denoise"
    paper = "Xu et al., Neural Gradient Regularizer, denoising as in the authors' code"
    problems = (Denoise, Deblur)
    positive = _NGRBase.positive + ("lam", "mu_max", "mu12_max", "mu3_max", "beta", "gamma")
    nonnegative = _NGRBase.nonnegative + ("weight_decay", "ema")

    # defaults: the video-denoising config (ngr_video_denoising)
    lam: float = 2.0
    alpha: float = 0.02
    beta: float = 150.0
    gamma: float = 150.0
    rho: float = 1.05
    mu_max: float = 0.16
    mu12_max: float = 0.16
    mu3_max: float = 0.34
    weight_decay: float = 5.0
    ema: float = 0.99
    average_start: int = static(default=2, metadata={"help": "iteration whose X starts the average (code: 1)"})
    mode: str = static(default="gaussian", choices=MODES,
                       metadata={"help": "gaussian: λ‖S‖²; mixed: λ‖S‖₁ (impulse, stripes)"})
    upsample_mode: str = static(default="bilinear", metadata={"help": "upsampling of the skip nets (code: bilinear)"})

    def validate(self, problem):
        super().validate(problem)
        if isinstance(problem, Deblur) and problem.boundary != "circular":
            raise ValueError(f"{self.name}: the closed-form X-update needs a circular blur; got boundary "
                             f"{problem.boundary!r} (build the problem with Deblur(y, kernel, boundary='circular'))")
        if isinstance(problem, Deblur) and len(problem.image_shape) != 3:
            raise ValueError(f"{self.name}: deblurring takes (H, W, C) images, got {problem.image_shape}")
        if is_concrete(self.ema) and not np.all((np.asarray(self.ema) >= 0) & (np.asarray(self.ema) < 1)):
            raise ValueError(f"{self.name}: ema must be in [0, 1), got {self.ema}")
        if int(self.average_start) < 1:
            raise ValueError(f"{self.name}: average_start must be >= 1, got {self.average_start}")

    def optimizer(self):  # torch Adam(weight_decay=wd): wd·θ added to the gradient (coupled; not AdamW)
        return optax.chain(optax.add_decayed_weights(self.weight_decay), optax.adam(self.lr))

    @staticmethod
    def blur(problem):
        """``(apply A, apply Aᵀ, |F(A)|²)`` of the stacked image (identity for denoising)."""
        if isinstance(problem, Deblur):
            return problem.forward, problem.adjoint, problem.op.symbol()
        return (lambda x: x), (lambda x: x), None

    def init(self, key, problem):
        k_param, k_z, k_run = jax.random.split(key, 3)
        y = to_stack(problem.y)
        params, opt, z = self.init_gradient_nets(k_param, k_z, y.shape)
        dn = penalty_scale(y, self.lam)
        mu = self.alpha / dn
        gam = y / dn
        state = {"params": params, "opt": opt, "z": z, "key": k_run, "x": y, "s": jnp.zeros_like(y),
                 "lagrange": gam, "lagrange_grad": (gam, gam, gam),
                 "mu": mu, "mu12": self.beta * mu, "mu3": self.gamma * mu, "out": jnp.clip(problem.y, 0.0, 1.0),
                 "t": jnp.asarray(0, jnp.int32), "loss": jnp.asarray(jnp.inf, y.dtype)}
        return state

    def step(self, state, problem):
        y = to_stack(problem.y)
        net = self.network(y.shape[-1])
        fwd, adj, blur_symbol = self.blur(problem)
        key, noise = self.input_noise(state)
        x, s, gam, gams = state["x"], state["s"], state["lagrange"], state["lagrange_grad"]
        mu, mu12, mu3 = state["mu"], state["mu12"], state["mu3"]
        mus = (mu12, mu12, mu3)
        grad_y, grad_x = gradients(y), gradients(x)

        def loss_fn(params, z):
            fs = tuple(f[0] for f in self.apply_nets(net, params, z + noise))
            fit = sum(jnp.sum(jnp.square(fwd(f) - gy)) for f, gy in zip(fs, grad_y))
            split = sum(0.5 * m * jnp.sum(jnp.square(gx - f + g / m)) for m, gx, f, g in zip(mus, grad_x, fs, gams))
            return fit + split, fs

        params, z, opt, loss, fs = self.network_step(self.optimizer(), loss_fn, state["params"], state["z"],
                                                     state["opt"])

        rhs = gradients_adjoint(tuple(m * f - g for m, f, g in zip(mus, fs, gams))) + adj(mu * (y - s) + gam)
        x = x_update(rhs, mu, mu12, mu3, blur_symbol)
        ax = fwd(x)
        if self.mode == "mixed":
            s = soft_threshold(y - ax + gam / mu, self.lam / mu)
        else:
            s = (gam + mu * (y - ax)) / (2.0 * self.lam + mu)
        gams = tuple(g + m * (gx - f) for g, m, gx, f in zip(gams, mus, gradients(x), fs))
        gam = gam + mu * (y - ax - s)
        x_img = from_stack(x, problem.image_shape)
        start = state["t"] + 1 <= self.average_start  # the output is X itself until the average starts
        out = jnp.where(start, x_img, self.ema * state["out"] + (1.0 - self.ema) * x_img)
        new = dict(state, params=params, z=z, opt=opt, key=key, x=x, s=s, lagrange=gam, lagrange_grad=gams,
                   mu=jnp.minimum(self.mu_max, self.rho * mu), mu12=jnp.minimum(self.mu12_max, self.rho * mu12),
                   mu3=jnp.minimum(self.mu3_max, self.rho * mu3), out=out, t=state["t"] + 1, loss=loss)
        return new

    def stopping_delay(self):
        """The mean delay of the exponential average of the output, ``round(ema / (1 − ema))``."""
        return ema_delay(self.ema)

    def output(self, state):
        return jnp.clip(super().output(state), 0.0, 1.0)

    def diagnostics(self, state, problem):
        y = to_stack(problem.y)
        fwd = self.blur(problem)[0]
        r = y - fwd(state["x"]) - state["s"]
        return {"loss": state["loss"], "mu": state["mu"], "constraint": jnp.sqrt(jnp.mean(r * r))}
