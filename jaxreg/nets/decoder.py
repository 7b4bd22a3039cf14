"""The Deep Decoder (Heckel & Hand, "Deep Decoder: concise image representations from untrained
non-convolutional networks", ICLR 2019), as ``decodernw`` in DRP's ``3_Inpainting/include/decoder.py`` — the
network of DRP-DD (frozen convolutions, trained seed and BatchNorm).

With ``channels = [128]*5`` the code extends the list by its last entry twice (7 entries, 6 layers)::

    for i in 0 … 5:
        x = conv k×k (channels[i] → channels[i+1], no bias)(x)      k = 1 by default (no padding needed)
        x = upsample ×2 (bilinear)(x)                                 for i < 5 (upsample_first: after the conv)
        x = BN(act(x))                                                ReLU, then BatchNorm (bn_before_act=False)
    out = sigmoid(conv 1×1 (channels[-1] → out_channels, no bias)(x))

So the input is a ``(N, H/32, W/32, channels[0])`` seed and the output is 32× larger per side
(``2**len(channels)``).  Default parameters for 3 outputs: 6·128² + 6·2·128 + 128·3 = 100,224.
"""

from __future__ import annotations

from typing import Sequence

import jax
import flax.linen as nn

from .init import check_init
from .layers import ACTIVATIONS, PADS, UPSAMPLE_MODES, BatchNorm, Conv2d, check_choice, check_image_batch, upsample2x
from .skip import check_kernel_sizes


class DeepDecoder(nn.Module):
    """``decodernw`` (module docstring); ``init(key, z)`` with ``z`` of shape ``(N, h, w, channels[0])``."""

    out_channels: int = 3
    channels: Sequence[int] = (128,) * 5
    filter_size: int = 1
    need_sigmoid: bool = True
    pad: str = "reflection"
    upsample_mode: str = "bilinear"
    act: str = "ReLU"
    bn_before_act: bool = False
    upsample_first: bool = True
    weight_init: str = "torch"

    def __post_init__(self):
        if len(tuple(self.channels)) < 1 or any(c < 1 for c in self.channels) or self.out_channels < 1:
            raise ValueError("DeepDecoder: channels must be a non-empty list of positive counts")
        check_kernel_sizes((self.filter_size,), "filter_size", "DeepDecoder")
        check_choice(self.pad, PADS, "pad", "DeepDecoder")
        check_choice(self.upsample_mode, UPSAMPLE_MODES + ("none",), "upsample_mode", "DeepDecoder")
        check_choice(self.act, ACTIVATIONS, "act", "DeepDecoder")
        check_init(self.weight_init, "DeepDecoder")
        super().__post_init__()

    def seed_channels(self) -> int:
        """Channels of the seed ``z``: the first width (Heckel & Hand's input)."""
        return int(tuple(self.channels)[0])

    def upsampling_factor(self) -> int:
        """Output size / input size per side: ``2**len(channels)`` (1 without upsampling)."""
        return 1 if self.upsample_mode == "none" else 2 ** len(tuple(self.channels))

    @nn.compact
    def __call__(self, z):
        chans = tuple(self.channels) + (self.channels[-1],) * 2
        check_image_batch(z, "DeepDecoder", chans[0])
        act = ACTIVATIONS[self.act]
        x, last = z, len(chans) - 2
        for i in range(len(chans) - 1):
            up = self.upsample_mode != "none" and (i != last if self.upsample_first else i != 0)
            if up and not self.upsample_first:
                x = upsample2x(x, self.upsample_mode)
            x = Conv2d(chans[i + 1], self.filter_size, 1, self.pad, False, self.weight_init, name=f"conv{i}")(x)
            if up and self.upsample_first:
                x = upsample2x(x, self.upsample_mode)
            bn = BatchNorm(name=f"bn{i}")
            x = act(bn(x)) if self.bn_before_act else bn(act(x))
        x = Conv2d(self.out_channels, 1, 1, self.pad, False, self.weight_init, name="out_conv")(x)
        return jax.nn.sigmoid(x) if self.need_sigmoid else x
