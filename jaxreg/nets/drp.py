"""The Deep Random Projector network (Li, Wang, Zhuang & Sun, "Deep Random Projector: accelerated deep image
prior", CVPR 2023; code ``sun-umn/Deep-Random-Projector``, ``1_Denoising/``, ``2_Super_Resolution/``,
``3_Inpainting/``).

``out = skip(BN_in(z))``: a trainable BatchNorm on the input seed (``BNNet``) followed by a **one-scale** DIP
skip network (``get_net(input_c, 'skip', 'reflection', skip_n33d=w, skip_n33u=w, skip_n11=s, num_scales=1,
upsample_mode='bilinear')``, sigmoid output, LeakyReLU)::

    z ─ BN_in ─┬─ conv1×1 (C→s) ─ BN ─ act ───────────────────────────────────────┐
               └─ conv3×3/2 (C→w) ─ BN ─ act ─ conv3×3 (w→w) ─ BN ─ act ─ up×2 ─────┴─ concat ─ BN
                  ─ conv3×3 (s+w→w) ─ BN ─ act ─ conv1×1 (w→w) ─ BN ─ act ─ conv1×1 (w→out) ─ sigmoid

DRP freezes the six convolutions at their random (PyTorch-default) initialisation and trains only the
BatchNorm affine parameters, the input BN and the seed ``z``.  :func:`jaxreg.nets.trainable_mask` marks
those leaves (True for BatchNorm γ/β, False for convolution weights and biases).

Presets (the code's three tasks):

================  ==========================  =====  ====  =====================================
preset            input (channels)            w      s     parameters (3 output channels)
================  ==========================  =====  ====  =====================================
``denoising``     N(0,1)·0.1 (3)              64     4     skip net 82,979 (656 of them BN) + BN_in 6
``inpainting``    meshgrid (2)                128    128   skip net 463,873 for 1 output (1,792 BN)
``sr``            N(0,1)·0.1 (1)              128    4     —
================  ==========================  =====  ====  =====================================

The parameter tree is ``{'input_bn': {'scale', 'bias'}, 'net': <Skip parameters>}``, so the official counts
(which leave out ``BN_in``) are the leaves under ``'net'``.
"""

from __future__ import annotations

import flax.linen as nn

from .init import check_init
from .layers import BatchNorm, check_image_batch
from .skip import Skip

PRESETS = {"denoising": (64, 4), "inpainting": (128, 128), "sr": (128, 4)}


class DRPNet(nn.Module):
    """``skip_net(BN_in(z))`` with the one-scale skip net of a DRP preset (module docstring).

    ``width`` / ``skip`` override the preset's ``w`` / ``s``; ``num_scales`` is 1 in every DRP script.
    ``need_sigmoid=False`` gives unbounded outputs (the gradient maps of DRP-NGR).
    """

    preset: str = "denoising"
    out_channels: int = 3
    width: int | None = None
    skip: int | None = None
    num_scales: int = 1
    upsample_mode: str = "bilinear"
    weight_init: str = "torch"
    in_channels: int | None = None
    need_sigmoid: bool = True

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ValueError(f"DRPNet: preset must be one of {tuple(PRESETS)}, got {self.preset!r}")
        if self.num_scales < 1:
            raise ValueError(f"DRPNet: num_scales must be ≥ 1, got {self.num_scales}")
        check_init(self.weight_init, "DRPNet")
        super().__post_init__()

    @nn.compact
    def __call__(self, z):
        check_image_batch(z, "DRPNet", self.in_channels)
        w, s = PRESETS[self.preset]
        w = self.width if self.width is not None else w
        s = self.skip if self.skip is not None else s
        x = BatchNorm(name="input_bn")(z)
        net = Skip.uniform(self.num_scales, w, w, s, out_channels=self.out_channels,
                           upsample_mode=self.upsample_mode, weight_init=self.weight_init,
                           need_sigmoid=self.need_sigmoid, name="net")
        return net(x)
