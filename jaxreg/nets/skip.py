"""The DIP ``skip`` encoder–decoder (Ulyanov, Vedaldi & Lempitsky, "Deep image prior", CVPR 2018; the
authors' ``models/skip.py``), the network of DIP, DIP-TV, DIP-ℓ0, NGR and DRP, and its no-skip autoencoder
variant (the regularisation study of Anderson, "Regularization and applications of a network structure deep
image prior", Stanford report).

Topology, one level per scale ``i = 0 … n-1`` (``d`` = the level's input depth, ``nd, nu, ns`` = channels
down / up / skip of the level, ``k = nu[i+1]`` below the deepest level and ``nd[i]`` at it)::

    level_i(x):
        s = act(BN(conv 1×1 (d → ns)(x)))                       skip branch, absent when ns = 0
        h = act(BN(conv 3×3 stride 2 (d → nd)(x)))              ceil(H/2) × ceil(W/2)
        h = act(BN(conv 3×3 (nd → nd)(h)))
        h = level_{i+1}(h)                                      below the deepest level
        h = upsample ×2 (h)                                     bilinear (half-pixel) or nearest
        y = BN(concat[s, h])                                    skip first; centre-crop both to the smaller size
        y = act(BN(conv 3×3 (ns + k → nu)(y)))
        y = act(BN(conv 1×1 (nu → nu)(y)))                      need1x1_up
    out = conv 1×1 (nu[0] → out_channels)(level_0(z)), then a sigmoid if need_sigmoid

with ``act`` = LeakyReLU(0.2), every BN on the statistics of the current input, convolutions reflection-padded.
The default (``Skip()``) is ``get_net(32, 'skip', 'reflection', skip_n33d=128, skip_n33u=128, skip_n11=4,
num_scales=5, upsample_mode='bilinear')``: 2,217,831 parameters for 32 input channels and 3 outputs.

The output has the input's H × W for any H, W: the upsampled map is ``2·ceil(s/2) ≥ s`` and the centre crop of
the concatenation brings it back to ``s`` (offset 0).  Without a skip branch there is no concatenation in the
official code, so an odd size would grow by one pixel per level; here the upsampled map is cropped to ``s``
the same way, the only departure from the official topology (equal output wherever the official one runs
without changing size, e.g. multiples of 2ⁿ).

Dropout (``p_keep < 1``, inverted scaling) follows every activation; it draws from the Flax rng stream
``'dropout'``: ``module.apply(params, z, rngs={'dropout': key})``; pass ``deterministic=True`` to turn it off.
A missing key is an error, never a silent no-dropout.  ``module.init(key, z)`` needs no dropout key.
"""

from __future__ import annotations

from typing import Sequence

import jax
import flax.linen as nn

from .conv import ALGORITHMS
from .init import check_init
from .layers import (ACTIVATIONS, PADS, UPSAMPLE_MODES, BatchNorm, Conv2d, ConvBlock, centre_crop, check_choice,
                     check_image_batch, crop_concat, upsample2x)


def per_scale(value, n: int, what: str, owner: str) -> tuple:
    """``value`` repeated ``n`` times when scalar (int or str), else the sequence as a tuple of length ``n``."""
    if isinstance(value, (int, str)):
        return (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"{owner}: {what} must have one entry per scale ({n}), got {len(value)}")
    return value


def check_kernel_sizes(sizes, what: str, owner: str) -> None:
    for k in sizes:
        if not (isinstance(k, int) and k >= 1 and k % 2 == 1):
            raise ValueError(f"{owner}: {what} must be odd positive integers (padding (k-1)//2 keeps the size), "
                             f"got {k!r}")


class Skip(nn.Module):
    """The DIP skip network (module docstring); ``module.init(key, z)`` with ``z`` of shape ``(N, H, W, C)``.

    Channel lists have one entry per scale; filter sizes and ``upsample_mode`` may be one value or one per
    scale.  ``in_channels`` (optional) is checked against the input.  ``conv_algorithm``: ``'auto'`` (Winograd /
    matrix products on CPU, ``lax.conv_general_dilated`` elsewhere), ``'direct'`` or ``'winograd'``
    (:mod:`jaxreg.nets.conv`).  ``weight_init``: ``'torch'`` (PyTorch's default
    draw, as the official code; the default) or ``'flax'`` (see :mod:`jaxreg.nets.init`).
    """

    out_channels: int = 3
    channels_down: Sequence[int] = (128,) * 5
    channels_up: Sequence[int] = (128,) * 5
    channels_skip: Sequence[int] = (4,) * 5
    filter_size_down: int | Sequence[int] = 3
    filter_size_up: int | Sequence[int] = 3
    filter_skip_size: int = 1
    need_sigmoid: bool = True
    need_bias: bool = True
    need1x1_up: bool = True
    pad: str = "reflection"
    upsample_mode: str | Sequence[str] = "bilinear"
    act: str = "LeakyReLU"
    weight_init: str = "torch"
    p_keep: float = 1.0
    in_channels: int | None = None
    conv_algorithm: str = "auto"

    @classmethod
    def uniform(cls, num_scales: int = 5, channels_down: int = 128, channels_up: int = 128,
                channels_skip: int = 4, **kwargs):
        """The same channel counts at every scale, as ``get_net(..., skip_n33d, skip_n33u, skip_n11, num_scales)``."""
        return cls(channels_down=(channels_down,) * num_scales, channels_up=(channels_up,) * num_scales,
                   channels_skip=(channels_skip,) * num_scales, **kwargs)

    def __post_init__(self):
        owner = type(self).__name__
        n = len(tuple(self.channels_down))
        if n < 1 or len(tuple(self.channels_up)) != n or len(tuple(self.channels_skip)) != n:
            raise ValueError(f"{owner}: channels_down, channels_up and channels_skip must have the same length "
                             f"≥ 1 (one entry per scale), got {len(tuple(self.channels_down))}, "
                             f"{len(tuple(self.channels_up))}, {len(tuple(self.channels_skip))}")
        if any(c < 1 for c in tuple(self.channels_down) + tuple(self.channels_up)) or \
                any(c < 0 for c in self.channels_skip) or self.out_channels < 1:
            raise ValueError(f"{owner}: channel counts must be positive (skip channels may be 0)")
        check_kernel_sizes(per_scale(self.filter_size_down, n, "filter_size_down", owner), "filter_size_down", owner)
        check_kernel_sizes(per_scale(self.filter_size_up, n, "filter_size_up", owner), "filter_size_up", owner)
        check_kernel_sizes((self.filter_skip_size,), "filter_skip_size", owner)
        for mode in per_scale(self.upsample_mode, n, "upsample_mode", owner):
            check_choice(mode, UPSAMPLE_MODES, "upsample_mode", owner)
        check_choice(self.pad, PADS, "pad", owner)
        check_choice(self.act, ACTIVATIONS, "act", owner)
        check_init(self.weight_init, owner)
        check_choice(self.conv_algorithm, ALGORITHMS, "conv_algorithm", owner)
        if not 0.0 < self.p_keep <= 1.0:
            raise ValueError(f"{owner}: p_keep must be in (0, 1], got {self.p_keep}")
        super().__post_init__()

    @nn.compact
    def __call__(self, z, deterministic: bool = False):
        owner = type(self).__name__
        check_image_batch(z, owner, self.in_channels)
        n = len(tuple(self.channels_down))
        down = tuple(self.channels_down)
        up = tuple(self.channels_up)
        skip = tuple(self.channels_skip)
        fd = per_scale(self.filter_size_down, n, "filter_size_down", owner)
        fu = per_scale(self.filter_size_up, n, "filter_size_up", owner)
        modes = per_scale(self.upsample_mode, n, "upsample_mode", owner)
        use_dropout = self.p_keep < 1.0 and not deterministic and not self.is_initializing()
        if use_dropout and not self.has_rng("dropout"):
            raise ValueError(f"{owner}: p_keep={self.p_keep} < 1 needs a dropout key: "
                             "module.apply(params, z, rngs={'dropout': key}), or deterministic=True")

        def block(x, name, features, k, stride=1):
            return ConvBlock(features, k, stride, self.pad, self.need_bias, self.act, self.weight_init, self.p_keep,
                             self.conv_algorithm, name=name)(x, use_dropout)

        x, inputs, branches = z, [], []
        for i in range(n):
            inputs.append(x)
            branches.append(block(x, f"scale{i}_skip", skip[i], self.filter_skip_size) if skip[i] else None)
            x = block(x, f"scale{i}_down", down[i], fd[i], stride=2)
            x = block(x, f"scale{i}_conv", down[i], fd[i])
        for i in reversed(range(n)):
            x = upsample2x(x, modes[i])
            if branches[i] is not None:
                x = crop_concat([branches[i], x])
            else:
                x = centre_crop(x, inputs[i].shape[1], inputs[i].shape[2])
            x = BatchNorm(name=f"scale{i}_concat_bn")(x)
            x = block(x, f"scale{i}_up", up[i], fu[i])
            if self.need1x1_up:
                x = block(x, f"scale{i}_up1x1", up[i], 1)
        x = Conv2d(self.out_channels, 1, 1, self.pad, self.need_bias, self.weight_init, self.conv_algorithm,
                   name="out_conv")(x)
        return jax.nn.sigmoid(x) if self.need_sigmoid else x


class Autoencoder(Skip):
    """The skip network without skip connections (``skip=[0]*5``; Anderson), optionally with dropout.

    Same fields as :class:`Skip`; ``channels_skip`` defaults to zeros.  ``p_keep < 1`` adds inverted dropout
    after every activation, drawing from ``rngs={'dropout': key}`` (see the module docstring).
    """

    channels_skip: Sequence[int] = (0,) * 5
