"""The ALR critic ``cnn15`` (Prost, Houdard, Almansa & Papadakis, "Learning local regularization for variational
image restoration", SSVM 2021; code ``jprost76/LocalReg``, ``models_zoo/cnn15/params.json``).

``variant="code"`` (default) is the authors' network: unpadded ``Conv2d(c_in, c_out, k, stride)`` layers with
a ReLU between layers (none after the last), then the mean over the 32 output channels::

    [3→128, 3×3] [128→64, 3×3] [64→64, 3×3, stride 3] [64→64, 3×3] [64→32, 1×1] [32→32, 1×1]  → mean over C

154,368 parameters.  A 15×15 patch gives a 1×1 output (true receptive field 13×13: the stride-3 layer drops
the last 2 columns of its 11-wide input); on a full image the output grid has stride 3, shape
``(N, H', W')`` with ``H' = (H - 4 - 3)//3 + 1 - 2``.

``variant="paper"`` is the paper's description (§3.1: "6 layers … 3×3 convolution operations followed by
ReLU … 15×15 receptive field"): ``len(features)`` unpadded 3×3 stride-1 convolutions (default widths those of
the code, ``(128, 64, 64, 64, 32, 32)``), ReLU between layers, mean over the last layer's channels.  Six 3×3
layers see 13×13 pixels, not 15×15 as the paper states; pass seven widths for a 15×15 receptive field.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import flax.linen as nn

from .init import check_init
from .layers import Conv2d, check_choice, check_image_batch

CODE_LAYERS = ((128, 3, 1), (64, 3, 1), (64, 3, 3), (64, 3, 1), (32, 1, 1), (32, 1, 1))  # (c_out, k, stride)
PAPER_FEATURES = (128, 64, 64, 64, 32, 32)


class CriticCNN15(nn.Module):
    """The ALR critic (module docstring): ``(N, H, W, in_channels)`` → ``(N, H', W')``."""

    variant: str = "code"
    features: Sequence[int] | None = None
    in_channels: int | None = 3
    weight_init: str = "torch"

    def __post_init__(self):
        check_choice(self.variant, ("code", "paper"), "variant", "CriticCNN15")
        if self.features is not None and (self.variant == "code" or len(tuple(self.features)) < 1):
            raise ValueError("CriticCNN15: features applies to variant='paper' and must be non-empty")
        check_init(self.weight_init, "CriticCNN15")
        super().__post_init__()

    def layers(self) -> tuple:
        """``(c_out, kernel, stride)`` of every layer."""
        if self.variant == "code":
            return CODE_LAYERS
        return tuple((c, 3, 1) for c in (self.features or PAPER_FEATURES))

    def receptive_field(self) -> int:
        """Side of the smallest input that gives a 1×1 output."""
        size = 1
        for _, k, stride in reversed(self.layers()):
            size = (size - 1) * stride + k
        return size

    @nn.compact
    def __call__(self, x):
        check_image_batch(x, "CriticCNN15", self.in_channels)
        if min(x.shape[1:3]) < self.receptive_field():
            raise ValueError(f"CriticCNN15: input {x.shape[1]}×{x.shape[2]} is smaller than the critic's "
                             f"{self.receptive_field()}×{self.receptive_field()} window")
        layers = self.layers()
        for j, (c, k, stride) in enumerate(layers):
            x = Conv2d(c, k, stride, "valid", True, self.weight_init, name=f"conv{j}")(x)
            if j < len(layers) - 1:
                x = jax.nn.relu(x)
        return jnp.mean(x, axis=-1)
