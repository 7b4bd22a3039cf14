"""Flax (Linen) versions of the networks the deep methods use, faithful to the authors' code.

Every network is a pure ``init`` / ``apply`` pair on NHWC float arrays; BatchNorm always normalises with the
statistics of the current input (as the official code, which never switches to eval mode), so
``module.apply(params, z)`` needs no mutable state.  Constructed without arguments each takes the official
defaults:

=================  =========================================================================  =============
network            what                                                                       parameters
=================  =========================================================================  =============
:class:`Skip`      DIP skip net, 5 scales of 128, skip 4, bilinear, reflection, sigmoid       2,217,831 (32→3)
:class:`Autoencoder`  the skip net without skip connections, optional dropout (Anderson)      —
:class:`DRPNet`    DRP: trainable input BN + one-scale skip net (denoising preset: w 64, s 4)  82,979 + 6 (3→3)
:class:`DeepDecoder`  Deep Decoder ``decodernw`` ([128]×5, 1×1 convs, ×32 upsampling)          100,224
:class:`NGRNet`    NGR: three independent skip nets (no sigmoid), one per gradient axis       3 × 2,184,307 (3→3)
:class:`CriticCNN15`  ALR critic ``cnn15`` (code) or the paper's 6 × 3×3 variant               154,368
=================  =========================================================================  =============

Weights start from PyTorch's default draw (``weight_init='torch'``) or Flax's (``'flax'``); inputs come from
:func:`uniform_noise`, :func:`normal_noise`, :func:`meshgrid`.  See ``docs/nets.md``.
"""

from .backbones import ConvBlocks, ResNet, UNet
from .critic import CriticCNN15
from .decoder import DeepDecoder
from .drp import DRPNet
from .init import INITS
from .inputs import meshgrid, normal_noise, uniform_noise
from .conv import conv2d, winograd_conv3x3
from .layers import BatchNorm, Conv2d, batch_norm, crop_concat, upsample2x
from .ngr import NGRNet
from .params import count_params, replace, select, trainable_mask
from .skip import Autoencoder, Skip

__all__ = ["Autoencoder", "BatchNorm", "Conv2d", "ConvBlocks", "CriticCNN15", "DRPNet", "DeepDecoder", "INITS",
           "NGRNet", "ResNet", "Skip", "UNet", "batch_norm", "conv2d", "count_params", "crop_concat", "meshgrid",
           "normal_noise", "replace", "select", "trainable_mask", "uniform_noise", "upsample2x", "winograd_conv3x3"]
