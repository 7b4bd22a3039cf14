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
from .conv import conv2d
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
        return self.receptive_field_of(self.layers())

    @staticmethod
    def receptive_field_of(layers) -> int:
        """Receptive field of ``(c_out, kernel, stride)`` layers."""
        size = 1
        for _, k, stride in reversed(tuple(layers)):
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



def _layer(x, p, k: int, stride: int, im2col: bool):
    """One critic layer: VALID correlation with stride, as ``Conv2d`` (or as one matrix product: ``im2col``)."""
    if im2col and k > 1:
        n, h, w, c = x.shape
        ho, wo = (h - k) // stride + 1, (w - k) // stride + 1
        cols = [x[:, a:a + stride * (ho - 1) + 1:stride, b:b + stride * (wo - 1) + 1:stride]
                for a in range(k) for b in range(k)]
        return jnp.einsum("nhwc,co->nhwo", jnp.concatenate(cols, axis=-1), p["kernel"].reshape(k * k * c, -1)) \
            + p["bias"]
    return conv2d(x, p["kernel"], p["bias"], stride=stride, pad="valid")


def _forward(layers, params, x, start: int, dense: bool, im2col: bool):
    """Layers ``start, start+1, …`` on NHWC ``x`` (pre-activation of the last layer averaged over channels)."""
    for j in range(start, len(layers)):
        _, k, stride = layers[j]
        if dense and stride > 1:
            return _polyphase(layers, params, x, j, im2col)
        x = _layer(x, params[f"conv{j}"], k, stride, im2col)
        if j < len(layers) - 1:
            x = jax.nn.relu(x)
    return jnp.mean(x, axis=-1)


def _polyphase(layers, params, x, j: int, im2col: bool):
    """Dense output from layer ``j`` (stride s) on: the s² shifted copies of ``x`` go through the strided network
    as one batch, and their outputs interleave into the dense grid."""
    _, k, s = layers[j]
    n, h, w, _ = x.shape
    ph, pw = -(-(h - k + 1) // s), -(-(w - k + 1) // s)  # outputs per phase of layer j
    need_h, need_w = (ph - 1) * s + k + s - 1, (pw - 1) * s + k + s - 1
    x = jnp.pad(x, ((0, 0), (0, max(0, need_h - h)), (0, max(0, need_w - w)), (0, 0)))
    phases = [x[:, a:a + (ph - 1) * s + k, b:b + (pw - 1) * s + k] for a in range(s) for b in range(s)]
    y = _forward(layers, params, jnp.concatenate(phases, axis=0), j, False, im2col)  # layer j strided, then dense
    ho, wo = y.shape[1:]
    y = y.reshape(s, s, n, ho, wo).transpose(2, 3, 0, 4, 1).reshape(n, ho * s, wo * s)
    return y


def critic_scores(layers, params, x, *, dense: bool = False, im2col: bool = False):
    """The critic as a plain function of its parameter tree ``{"conv0": {"kernel", "bias"}, ...}``.

    ``layers`` are ``(c_out, kernel, stride)`` (:meth:`CriticCNN15.layers`).  With ``dense=False`` this equals
    ``CriticCNN15.apply``.  With ``dense=True`` it gives the score of *every* patch position,
    ``(N, H − f + 1, W − f + 1)`` for receptive field f, and ``dense[:, ::s, ::s]`` is the strided output (``s`` =
    product of the strides).  It is computed polyphase: the layers before the first strided one run once at full
    resolution; the ``s²`` shifted copies of their output then go through the rest of the network as one batch
    (strided, as the network itself) and the outputs interleave.  This is the à-trous result (stride 1, later
    layers dilated) at the cost of the strided network's fast convolutions (:func:`jaxreg.nets.conv.conv2d`): on
    a 2-core CPU an ALR step at 96² with the dense R(x) takes 2.4× one with the strided R (68 against 28 ms), where
    XLA's dilated convolution inside the solver loop took 4.8×.   The output is the mean over the last layer's channels.

    ``im2col=True`` computes each layer as one matrix product of its ``k²`` shifted slices: for critic training
    on small patches with the gradient penalty this is 5.8× faster on a 2-core CPU than the convolutions inside
    the training loop (batch 32 of 13×13 patches: 43 ms against 250 ms per step).
    """
    y = _forward(tuple(layers), params, x, 0, dense, im2col)
    if dense:
        f = CriticCNN15.receptive_field_of(layers)
        y = y[:, :x.shape[1] - f + 1, :x.shape[2] - f + 1]
    return y
