"""Deep Random Projector (Li, Wang, Zhuang & Sun, "Deep Random Projector: accelerated deep image prior",
CVPR 2023; code ``sun-umn/Deep-Random-Projector``), and DRP as the prior inside DIP-ℓ0 and NGR.

DIP fits all the weights θ of a deep network to ``y``.  DRP keeps a *shallow* network's convolutions frozen at
their random initialisation and optimises the input seed ``z`` and the BatchNorm affine parameters θ_BN instead,
with an explicit TV term to hold off overfitting (the poster's three keys: optimise the seed, cut the depth, add
TV):

    min_{z, θ_BN}  √( mean((A g_θ(z) − y)²) ) + λ · TV(g_θ(z)) / n,      TV(x) = Σ|D_h x| + Σ|D_w x|

(anisotropic, differences without wrap-around, ``n`` = number of image entries: the code's
``sqrt(MSE) + tv_w · TV`` with ``TV = (Σ|Δ_h| + Σ|Δ_w|)/(B·C·H·W)``).  Each iteration is one Adam step (lr) on
``(z, θ_BN)`` (the code's separate Adam optimisers with one lr are the same update, Adam being elementwise); the
image of iteration t is the forward pass before its step, as the code evaluates; no averaging, no input noise.

``g_θ(z) = skip(BN_in(z))`` (:class:`jaxreg.nets.DRPNet`): a trainable input BatchNorm and a one-scale skip net
(sigmoid output), PyTorch-default initialisation.  Presets (``preset(name)``; the code's scripts):

==============  =====================  =====  =====  =====  ======  ==========================================
preset          seed z                  w      s      lr     λ       problem
==============  =====================  =====  =====  =====  ======  ==========================================
``denoising``   N(0, 1)·0.1, C chans   64     4      0.1    0.45    ``Denoise`` (the default of ``drp``)
``inpainting``  meshgrid (2 chans)     128    128    0.05   0.01    ``Inpaint`` (masked loss via the problem)
``sr``          N(0, 1)·0.1, 1 chan     128    4      0.5    0.75    ``SuperResolution`` (Lanczos-2 downsampler)
==============  =====================  =====  =====  =====  ======  ==========================================

The frozen weights stay bitwise fixed: only ``z`` and θ_BN are differentiated and updated
(:meth:`NetworkMethod.network_step`).  The authors' inpainting script adds N(0, 10⁻³) to the frozen weights
every epoch and its "restore" is a no-op, so there they drift (reference notes §3); that is not reproduced.

**DRP-DD** (``drp-dd``): the same with a frozen Deep Decoder (:class:`jaxreg.nets.DeepDecoder`, [128]×5, 1×1
convolutions, ×32 bilinear upsampling, ReLU then BatchNorm): the seed ``z ~ U[0, 0.1)`` of shape
``(H/32, W/32, 128)`` (Heckel & Hand's input) and every BatchNorm are trained.  The code ships no DRP-DD
script; the poster's figure is the only description, so the Deep Decoder has no extra input BatchNorm here
(its first layer is already followed by one) and the hyperparameters are the denoising preset's.

**DRP as a prior in other methods** (``drp-l0``, ``drp-ngr``): DIP-ℓ0's θ-update (K Adam steps, Tran, Bui &
Xin, eq. 6a) and NGR's network step (Xu et al., eq. 11) become updates of (z, θ_BN) of frozen one-scale DRP
networks (``trains="seed-bn"``); everything else in those algorithms is unchanged.  The DIP-ℓ0 paper names DRP as its
future work; these combinations are new, so their defaults (lr) were chosen on validation images and are
reported as such in ``docs/drp.md``.
"""

from __future__ import annotations

from typing import ClassVar, Sequence

from .._pytree import pytree_dataclass, static
from ..problems import Problem
from ..regularizers.tv import tv_norm
from .dip import DIP
from .dip_l0 import DIPL0
from .ngr import NGR
from .registry import get, register

PRESETS = {
    "denoising": dict(net_preset="denoising", lr=0.1, tv_weight=0.45, input_kind="normal", input_depth=None),
    "inpainting": dict(net_preset="inpainting", lr=0.05, tv_weight=0.01, input_kind="meshgrid", input_depth=2),
    "sr": dict(net_preset="sr", lr=0.5, tv_weight=0.75, input_kind="normal", input_depth=1),
}
# iterations of the authors' scripts (``max_epoch``); the SR script's TV is on the high-resolution output
PRESET_ITERS = {"denoising": 5000, "inpainting": 5000, "sr": 5000}


def preset(name: str, **overrides):
    """The ``drp`` method with a preset of the authors' code (module docstring), fields overridden by keyword."""
    if name not in PRESETS:
        raise ValueError(f"unknown DRP preset {name!r}; available: {', '.join(PRESETS)}")
    return get("drp", **{**PRESETS[name], **overrides})


def anisotropic_tv(x):
    """``Σ|D_h x| + Σ|D_w x|`` of an ``(H, W, C)`` image, differences without wrap-around (DRP's TV, unnormalised)."""
    return tv_norm(x, (0, 1), isotropic=False, circular=False)


@register
@pytree_dataclass
class DRP(DIP):
    """DRP-DIP: frozen one-scale skip net; Adam on the seed and BatchNorm for √MSE + λ·TV (Li et al., CVPR 2023)."""

    name = "drp"
    paper = "Li, Wang, Zhuang & Sun, Deep Random Projector: accelerated deep image prior, CVPR 2023"
    problems = (Problem,)

    lr: float = 0.1
    tv_weight: float = 0.45
    reg_noise_std: float = 0.0
    ema: float = 0.0
    input_depth: int | None = static(default=None, metadata={"help": "channels of z (None: the image's)"})
    input_kind: str = static(default="normal", metadata={"help": "normal (denoising), meshgrid (inpainting), uniform"})
    trains: str = static(default="seed-bn", metadata={"help": "seed-bn (DRP) or weights (plain DIP training)"})
    net_preset: str = static(default="denoising", metadata={"help": "DRPNet preset: denoising (w 64, s 4), "
                                                                    "inpainting (w 128, s 128)"})
    width: int | None = static(default=None, metadata={"help": "override the preset's width w"})
    skip: int | None = static(default=None, metadata={"help": "override the preset's skip channels s"})
    stopping: str = static(default="none", metadata={"help": "none (num_iters; the code), es-wmv, sure, … (no reference)"})
    fallback: bool = static(default=False)

    default_net: ClassVar[str] = "DRPNet"
    own_prior_fields: ClassVar[tuple] = ("net_preset", "width", "skip")

    def net_options(self):
        return (("preset", self.net_preset), ("width", self.width), ("skip", self.skip))

    def validate(self, problem):
        from ..nets.drp import PRESETS as NET_PRESETS
        if self.net_preset not in NET_PRESETS:
            raise ValueError(f"{self.name}: net_preset must be one of {tuple(NET_PRESETS)}, got {self.net_preset!r}")
        super().validate(problem)

    def data_term(self, mse):
        return (mse + 1e-12) ** 0.5

    def extra_loss(self, x, state, n):
        return self.tv_weight * anisotropic_tv(x) / n


@register
@pytree_dataclass
class DRPDD(DRP):
    """DRP-DD: the Deep Decoder with frozen 1×1 convolutions; Adam on its seed and BatchNorms (Li et al., CVPR 2023)."""

    name = "drp-dd"

    input_depth: int | None = static(default=None, metadata={"help": "channels of z (None: channels[0])"})
    input_kind: str = static(default="uniform", metadata={"help": "uniform (the Deep Decoder's), normal, meshgrid"})
    channels: Sequence[int] = static(default=(128,) * 5, metadata={"help": "Deep Decoder channels ([128]×5)"})

    default_net: ClassVar[str] = "DeepDecoder"  # its seed has channels[0] channels (DeepDecoder.seed_channels)
    own_prior_fields: ClassVar[tuple] = DRP.own_prior_fields + ("channels",)

    def net_options(self):
        return (("channels", tuple(self.channels)),)


@register
@pytree_dataclass
class DRPL0(DIPL0):
    """DIP-ℓ0 (Tran, Bui & Xin, Algorithm 1) whose θ-update trains the seed and BatchNorm of a frozen DRP network."""

    name = "drp-l0"
    paper = ("Tran, Bui & Xin with the prior of Li, Wang, Zhuang & Sun: the DIP-ℓ0 "
             "paper's future work")

    lr: float = 0.05
    input_depth: int | None = static(default=None, metadata={"help": "channels of z (None: the image's)"})
    input_kind: str = static(default="normal", metadata={"help": "normal (DRP denoising), uniform or meshgrid"})
    trains: str = static(default="seed-bn", metadata={"help": "seed-bn (DRP) or weights (DIP-ℓ0)"})
    net_preset: str = static(default="denoising", metadata={"help": "DRPNet preset"})

    default_net: ClassVar[str] = "DRPNet"
    own_prior_fields: ClassVar[tuple] = ("net_preset",)

    def net_options(self):
        return (("preset", self.net_preset),)


@register
@pytree_dataclass
class DRPNGR(NGR):
    """NGR inpainting (Xu et al., Algorithm 1) with three frozen one-scale DRP gradient networks (seed + BN trained)."""

    name = "drp-ngr"
    paper = "Xu et al., Neural Gradient Regularizer; with the prior of Li, Wang, Zhuang & Sun, Deep Random Projector, CVPR 2023"

    lr: float = 0.05
    reg_noise_std: float = 0.0
    input_kind: str = static(default="normal", metadata={"help": "normal (DRP), uniform or meshgrid"})
    trains: str = static(default="seed-bn", metadata={"help": "seed-bn (DRP) or weights (NGR)"})
    backbone: str = static(default="drp", metadata={"help": "drp (one-scale DRPNet) or an NGR backbone"})
    upsample_mode: str = static(default="bilinear", metadata={"help": "upsampling of the DRP nets (DRP: bilinear)"})
