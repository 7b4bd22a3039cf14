"""The NGR gradient network (Xu et al., "Neural Gradient Regularizer"; code
``yyfz/Neural-Gradient-Regularizer``, ``NGR.py``: ``NGR_net``).

Three **independent** networks, all fed the same input ``z``, predict the gradient maps of the image along
its three axes::

    F_h = net_h(z)   ∂_H (rows)        F_w = net_w(z)   ∂_W (columns)        F_c = net_c(z)   ∂_C (channels)

each ``(N, H, W, out_channels)``, unbounded (no sigmoid, no tanh).  The default backbone is the DIP skip net
with NGR's settings: [128]×5 down/up, skip [4]×5, 3×3 filters, ``need1x1_up``, bias, reflection padding,
LeakyReLU, stride-2 downsampling, ``need_sigmoid=False``; upsampling ``'nearest'`` in the inpainting and
decloud configs, ``'bilinear'`` in the denoising configs (our default).  One 3→3 net has 2,184,307 parameters
(6,552,921 for the three).

``backbone`` selects the robustness-study alternatives of the paper's Fig. 13 (``'unet'``, ``'resnet'``,
``'convblocks'``; topologies in :mod:`jaxreg.nets.backbones`); ``width`` overrides the backbone's width
(skip: channels per scale, default 128; unet: base width, 16; resnet: 16; convblocks: 128).  ``'drp'`` is the
one-scale DRP network with its input BatchNorm (:class:`jaxreg.nets.DRPNet`, denoising preset: width 64, skip 4,
no sigmoid), the backbone of DRP-NGR (frozen convolutions, trained seed and BatchNorm).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from .backbones import ConvBlocks, ResNet, UNet
from .drp import DRPNet
from .init import check_init
from .layers import PADS, UPSAMPLE_MODES, check_choice, check_image_batch
from .skip import Skip

BACKBONES = ("skip", "unet", "resnet", "convblocks", "drp")
AXES = ("h", "w", "c")


class NGRNet(nn.Module):
    """Three independent gradient networks; ``apply(params, z)`` returns ``(F_h, F_w, F_c)``."""

    out_channels: int = 3
    backbone: str = "skip"
    upsample_mode: str = "bilinear"
    pad: str = "reflection"
    width: int | None = None
    weight_init: str = "torch"
    in_channels: int | None = None

    def __post_init__(self):
        check_choice(self.backbone, BACKBONES, "backbone", "NGRNet")
        check_choice(self.upsample_mode, UPSAMPLE_MODES, "upsample_mode", "NGRNet")
        check_choice(self.pad, PADS, "pad", "NGRNet")
        check_init(self.weight_init, "NGRNet")
        if self.out_channels < 1 or (self.width is not None and self.width < 1):
            raise ValueError("NGRNet: out_channels and width must be positive")
        super().__post_init__()

    def make_backbone(self, name: str | None) -> nn.Module:
        """One gradient network (unbound, named ``name``; with ``None``, a top-level module of its own)."""
        kw = dict(out_channels=self.out_channels, pad=self.pad, weight_init=self.weight_init, name=name)
        if name is None:
            kw["parent"] = None
        if self.backbone == "skip":
            w = self.width or 128
            return Skip.uniform(5, w, w, 4, need_sigmoid=False, upsample_mode=self.upsample_mode, **kw)
        if self.backbone == "unet":
            return UNet(base=self.width or 16, upsample_mode=self.upsample_mode, **kw)
        if self.backbone == "resnet":
            return ResNet(width=self.width or 16, **kw)
        if self.backbone == "drp":
            kw.pop("pad")  # DRPNet has no pad option (reflection, as the DRP code)
            return DRPNet(preset="denoising", width=self.width, need_sigmoid=False, upsample_mode=self.upsample_mode,
                          **kw)
        return ConvBlocks(width=self.width or 128, **kw)

    @nn.compact
    def __call__(self, z):
        check_image_batch(z, "NGRNet", self.in_channels)
        return tuple(self.make_backbone(f"grad_{axis}")(z) for axis in AXES)

    # The three networks share one architecture, so the solvers keep their parameters stacked and trace one
    # network, mapped over the three parameter sets: a third of the tracing and of the XLA program, the same
    # arithmetic as ``apply`` (the initial values are those of ``init``, network by network).
    def stack(self, variables):
        """``init``'s variables with the three networks' trees stacked on a leading axis of length 3 (h, w, c):
        ``{collection: tree}`` with each leaf ``(3, ...)``, what :meth:`apply_stacked` takes."""
        return {col: jax.tree.map(lambda *a: jnp.stack(a), *(tree[f"grad_{axis}"] for axis in AXES))
                for col, tree in variables.items()}

    def apply_stacked(self, stacked, z):
        """``(F_h, F_w, F_c)`` as ``apply(variables, z)`` would return them, from :meth:`stack`'s variables: one
        backbone traced once and run over the three parameter sets in turn (``lax.map``)."""
        check_image_batch(z, "NGRNet", self.in_channels)
        backbone = self.make_backbone(None)
        outs = jax.lax.map(lambda variables: backbone.apply(variables, z), stacked)
        return tuple(outs[i] for i in range(len(AXES)))
