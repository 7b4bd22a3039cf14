"""Alternative image-to-image backbones for NGR's robustness study (Xu et al., "Neural Gradient
Regularizer", §III-C3 and Fig. 13: "ResNet [48], U-Net [49], and a convolutional network composed of ten
convolution-batch normalization-ReLU blocks").  The paper gives no further detail and the NGR code ships only
the skip net, so these follow the DIP code's ``models/unet.py`` and ``models/resnet.py`` (the repository NGR
builds on), with the choices below.  All keep the output H × W equal to the input's, and end without a
sigmoid (NGR predicts signed gradients).

* :class:`UNet` — DIP's ``UNet(feature_scale=4, norm_layer=BatchNorm2d, more_layers=0, concat_x=False)``,
  widths ``base·(1, 2, 4, 8, 16)`` with ``base = 16``::

      start = block(block(z))                        block = ReLU(BN(conv 3×3))
      d_k   = block(block(maxpool 2×2 (d_{k-1})))    k = 1 … 4
      u_k   = rblock(rblock(concat[conv 3×3(upsample ×2 (u_{k+1})), d_{k-1}]))   rblock = ReLU(conv 3×3), no BN
      out   = conv 1×1 (base → out_channels)(u_1)

  Departure for odd sizes: max-pooling rounds up (PyTorch's ``ceil_mode=True``) and the upsampled map is
  centre-cropped to the skip's size, so the output keeps the input size; DIP's code floors and crops the skip
  instead, which shrinks odd sizes.
* :class:`ResNet` — DIP's ``ResNet(num_blocks=10, num_channels=16, need_residual=True, act_fun='LeakyReLU',
  norm_layer=BatchNorm2d, pad='reflection')``, as ``get_net('ResNet')`` intends (its positional call passes
  ``BatchNorm2d`` as the activation and cannot run)::

      x = act(conv 3×3 (C → w)(z));   10 × [ x = x + BN(conv 3×3(act(BN(conv 3×3 (x))))) ]   (no bias, zero pad)
      x = BN(conv 3×3 (w → w)(x));    out = conv 3×3 (w → out_channels)(x)
* :class:`ConvBlocks` — ten ``ReLU(BN(conv 3×3 (→ width)))`` blocks at full resolution (width 128, the skip
  net's), then a 1×1 convolution to ``out_channels`` (so the output can be negative).
"""

from __future__ import annotations

import flax.linen as nn

from .layers import ACTIVATIONS, BatchNorm, Conv2d, ConvBlock, crop_concat, upsample2x


class UNet(nn.Module):
    """DIP's U-Net (module docstring), output H × W = input H × W."""

    out_channels: int = 3
    base: int = 16
    upsample_mode: str = "bilinear"
    pad: str = "reflection"
    weight_init: str = "torch"

    @nn.compact
    def __call__(self, z):
        widths = tuple(self.base * m for m in (1, 2, 4, 8, 16))

        def double(x, c, name, norm=True):
            for j in range(2):
                if norm:
                    x = ConvBlock(c, 3, 1, self.pad, True, "ReLU", self.weight_init, name=f"{name}_{j}")(x)
                else:
                    x = nn.relu(Conv2d(c, 3, 1, self.pad, True, self.weight_init, name=f"{name}_{j}")(x))
            return x

        feats = [double(z, widths[0], "start")]
        for k in range(1, 5):
            x = feats[-1]
            x = nn.max_pool(x, (2, 2), (2, 2), padding=((0, x.shape[1] % 2), (0, x.shape[2] % 2)))
            feats.append(double(x, widths[k], f"down{k}"))
        x = feats[-1]
        for k in range(4, 0, -1):
            x = Conv2d(widths[k - 1], 3, 1, self.pad, True, self.weight_init, name=f"up{k}_conv")(
                upsample2x(x, self.upsample_mode))
            x = double(crop_concat([x, feats[k - 1]]), widths[k - 1], f"up{k}", norm=False)
        return Conv2d(self.out_channels, 1, 1, self.pad, True, self.weight_init, name="out_conv")(x)


class ResNet(nn.Module):
    """DIP's ResNet (module docstring): ``num_blocks`` residual blocks of width ``width`` at full resolution."""

    out_channels: int = 3
    width: int = 16
    num_blocks: int = 10
    pad: str = "reflection"
    act: str = "LeakyReLU"
    weight_init: str = "torch"

    @nn.compact
    def __call__(self, z):
        act = ACTIVATIONS[self.act]
        w, init = self.width, self.weight_init
        x = act(Conv2d(w, 3, 1, self.pad, True, init, name="in_conv")(z))
        for b in range(self.num_blocks):
            h = act(BatchNorm(name=f"block{b}_bn0")(Conv2d(w, 3, 1, "zero", False, init, name=f"block{b}_conv0")(x)))
            x = x + BatchNorm(name=f"block{b}_bn1")(Conv2d(w, 3, 1, "zero", False, init, name=f"block{b}_conv1")(h))
        x = BatchNorm(name="mid_bn")(Conv2d(w, 3, 1, "zero", True, init, name="mid_conv")(x))
        return Conv2d(self.out_channels, 3, 1, self.pad, True, init, name="out_conv")(x)


class ConvBlocks(nn.Module):
    """``num_blocks`` × ReLU(BN(conv 3×3)) at full resolution, then a 1×1 convolution (module docstring)."""

    out_channels: int = 3
    width: int = 128
    num_blocks: int = 10
    pad: str = "reflection"
    weight_init: str = "torch"

    @nn.compact
    def __call__(self, z):
        x = z
        for b in range(self.num_blocks):
            x = ConvBlock(self.width, 3, 1, self.pad, True, "ReLU", self.weight_init, name=f"block{b}")(x)
        return Conv2d(self.out_channels, 1, 1, self.pad, True, self.weight_init, name="out_conv")(x)
