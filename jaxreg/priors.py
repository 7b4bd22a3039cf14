"""Deep priors as values, for any untrained-network method: ``methods.get(name, prior=…)``.

A :class:`DeepPrior` is a network, its random input and what the optimiser trains (:mod:`jaxreg.nets.prior`);
the method supplies the algorithm around the fit.  So DIP-ℓ0 with the Deep Random Projector is::

    methods.get("dip-l0", prior=priors.drp("denoising"))

and DIP-TV with a Deep Decoder is ``methods.get("dip-tv", prior=priors.deep_decoder())``.  The registered
names ``drp``, ``drp-dd``, ``drp-l0`` and ``drp-ngr`` remain, as presets of these pairings with the settings
reported in the docs.

* :func:`dip` — the official DIP skip network trained in all its weights from ``z ~ U[0, 0.1)`` with 32
  channels (Ulyanov, Vedaldi & Lempitsky, "Deep image prior", CVPR 2018);
* :func:`drp` — the one-scale DRP network, frozen, with its seed and BatchNorm trained (Li, Wang, Zhuang & Sun,
  "Deep Random Projector: accelerated deep image prior", CVPR 2023), in the presets of the authors' scripts;
* :func:`deep_decoder` — the Deep Decoder (Heckel & Hand, "Deep Decoder: concise image representations from
  untrained non-convolutional networks", ICLR 2019), trained in its weights; :func:`drp_dd` — the same network
  frozen, its seed and BatchNorms trained (DRP-DD).
"""

from __future__ import annotations

from .nets.prior import INPUT_KINDS, TRAINS, DeepPrior

__all__ = ["DeepPrior", "INPUT_KINDS", "TRAINS", "deep_decoder", "dip", "drp", "drp_dd"]


def dip(*, input_depth: int | None = 32, input_kind: str = "uniform", input_scale: float = 0.1, net=None,
        **options) -> DeepPrior:
    """The DIP prior: ``Skip`` (``options``: its fields, e.g. ``channels_down=[16, 16]``) trained in all its
    weights."""
    options = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in options.items()}  # hashable
    return DeepPrior(architecture="Skip", options=tuple(sorted(options.items())), net=net, input_kind=input_kind,
                     input_depth=input_depth, input_scale=input_scale, trains="weights")


def drp(preset: str = "denoising", *, width: int | None = None, skip: int | None = None,
        trains: str = "seed-bn") -> DeepPrior:
    """The DRP prior of a preset of the authors' scripts (``denoising``: ``z ~ N(0, 1)·0.1`` with the image's
    channels, width 64, skip 4; ``inpainting``: the meshgrid, width 128, skip 128; ``sr``: one normal channel,
    width 128, skip 4); ``trains="weights"`` is the control (DIP's training of the same network)."""
    from .methods.drp import PRESETS
    if preset not in PRESETS:
        raise ValueError(f"unknown DRP preset {preset!r}; available: {', '.join(PRESETS)}")
    p = PRESETS[preset]
    return DeepPrior(architecture="DRPNet", options=(("preset", p["net_preset"]), ("skip", skip), ("width", width)),
                     input_kind=p["input_kind"], input_depth=p["input_depth"], input_scale=0.1, trains=trains)


def deep_decoder(channels=(128,) * 5, *, trains: str = "weights") -> DeepPrior:
    """The Deep Decoder with ``channels`` (``[128]×5``: 1×1 convolutions, ×32 bilinear upsampling), its seed
    ``z ~ U[0, 0.1)`` of ``channels[0]`` channels at 1/32 of the image size."""
    return DeepPrior(architecture="DeepDecoder", options=(("channels", tuple(int(c) for c in channels)),),
                     input_kind="uniform", input_depth=None, input_scale=0.1, trains=trains)


def drp_dd(channels=(128,) * 5) -> DeepPrior:
    """DRP-DD's prior: :func:`deep_decoder` frozen, its seed and BatchNorms trained."""
    return deep_decoder(channels, trains="seed-bn")
