"""PyTorch replicas of the official networks, for ``benchmarks/dip_step.py`` and ``tests/test_nets.py``.

Not part of the library and written for this project: the layer sequence of the DIP ``skip`` network
(``models/skip.py`` + ``models/common.py`` of ``DmitryUlyanov/deep-image-prior``: ``ReflectionPad2d`` then
``Conv2d``, ``BatchNorm2d`` in training mode, ``LeakyReLU(0.2, inplace=True)``, ``nn.Upsample(scale_factor=2)``,
the centre-cropping ``Concat``, nested ``nn.Sequential`` levels), DRP's input BatchNorm in front of a
one-scale skip net, and the ALR critic ``cnn15`` (``jprost76/LocalReg``).  Each builder also returns a dict
from the Flax module path (``"scale0_skip/conv"``, ``"out_conv"``, …) to the torch layer, so
:func:`copy_flax_params` can load a jaxreg parameter tree into the replica.

Requires ``torch`` (``pip install torch==2.13.0``); importing this module without it raises ``ImportError``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class Concat(nn.Module):
    """Apply every branch to the input, centre-crop the results to the smallest H, W, concatenate channels."""

    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        outs = [b(x) for b in self.branches]
        h = min(o.shape[2] for o in outs)
        w = min(o.shape[3] for o in outs)
        outs = [o[:, :, (o.shape[2] - h) // 2:, (o.shape[3] - w) // 2:][:, :, :h, :w] for o in outs]
        return torch.cat(outs, dim=1)


def _conv(named, name, c_in, c_out, k, stride=1, bias=True, pad="reflection"):
    p = (k - 1) // 2
    conv = nn.Conv2d(c_in, c_out, k, stride, padding=0 if pad == "reflection" else p, bias=bias)
    named[name] = conv
    return [nn.ReflectionPad2d(p), conv] if pad == "reflection" and p > 0 else [conv]


def _bn(named, name, c):
    named[name] = bn = nn.BatchNorm2d(c)
    return bn


def _block(named, name, c_in, c_out, k, stride=1, pad="reflection", bias=True):
    return _conv(named, f"{name}/conv", c_in, c_out, k, stride, bias, pad) + [
        _bn(named, f"{name}/bn", c_out), nn.LeakyReLU(0.2, inplace=True)]


def skip_replica(in_channels=32, out_channels=3, down=(128,) * 5, up=(128,) * 5, skip=(4,) * 5,
                 filter_size_down=3, filter_size_up=3, filter_skip_size=1, need_sigmoid=True, need_bias=True,
                 pad="reflection", upsample_mode="bilinear", need1x1_up=True, named=None, prefix=""):
    """The skip network as nested ``nn.Sequential`` levels; returns ``(model, named)``."""
    named = {} if named is None else named
    n = len(down)
    model = nn.Sequential()
    level, depth = model, in_channels
    for i in range(n):
        s = f"{prefix}scale{i}"
        deeper = nn.Sequential(*_block(named, f"{s}_down", depth, down[i], filter_size_down, 2, pad, need_bias),
                               *_block(named, f"{s}_conv", down[i], down[i], filter_size_down, 1, pad, need_bias))
        deeper_main = nn.Sequential()
        if i < n - 1:
            deeper.append(deeper_main)
        deeper.append(nn.Upsample(scale_factor=2, mode=upsample_mode))
        k = up[i + 1] if i < n - 1 else down[i]
        if skip[i]:
            branch = nn.Sequential(*_block(named, f"{s}_skip", depth, skip[i], filter_skip_size, 1, pad, need_bias))
            level.append(Concat(branch, deeper))
        else:
            level.append(deeper)
        level.append(_bn(named, f"{s}_concat_bn", skip[i] + k))
        level.extend(_block(named, f"{s}_up", skip[i] + k, up[i], filter_size_up, 1, pad, need_bias))
        if need1x1_up:
            level.extend(_block(named, f"{s}_up1x1", up[i], up[i], 1, 1, pad, need_bias))
        depth, level = down[i], deeper_main
    model.extend(_conv(named, f"{prefix}out_conv", up[0], out_channels, 1, 1, need_bias, pad))
    if need_sigmoid:
        model.append(nn.Sigmoid())
    return model, named


def drp_replica(in_channels=3, out_channels=3, width=64, skip=4):
    """DRP's ``BN_in`` (trainable input BatchNorm) followed by the one-scale skip net; returns ``(model, named)``."""
    named = {}
    bn_in = _bn(named, "input_bn", in_channels)
    net, named = skip_replica(in_channels, out_channels, (width,), (width,), (skip,), named=named, prefix="net/")
    return nn.Sequential(bn_in, net), named


class _ChannelMean(nn.Module):
    def forward(self, x):
        return x.mean(dim=1)


def critic_replica(layers=((3, 128, 3, 1), (128, 64, 3, 1), (64, 64, 3, 3), (64, 64, 3, 1), (64, 32, 1, 1),
                           (32, 32, 1, 1))):
    """ALR's ``cnn15``: unpadded ``Conv2d(c_in, c_out, k, stride)`` layers, ReLU between, mean over channels."""
    named, mods = {}, []
    for j, (c_in, c_out, k, stride) in enumerate(layers):
        named[f"conv{j}"] = conv = nn.Conv2d(c_in, c_out, k, stride)
        mods += [conv] + ([nn.ReLU()] if j < len(layers) - 1 else [])
    return nn.Sequential(*mods, _ChannelMean()), named


def _get(tree, path):
    for part in path.split("/"):
        tree = tree[part]
    return tree


@torch.no_grad()
def copy_flax_params(params, named):
    """Load a jaxreg parameter tree into the replica's layers (HWIO kernels → OIHW)."""
    for path, layer in named.items():
        p = _get(params, path)
        if isinstance(layer, nn.Conv2d):
            layer.weight.copy_(torch.from_numpy(np.asarray(p["kernel"]).transpose(3, 2, 0, 1).copy()))
            if layer.bias is not None:
                layer.bias.copy_(torch.from_numpy(np.array(p["bias"])))
        else:
            layer.weight.copy_(torch.from_numpy(np.array(p["scale"])))
            layer.bias.copy_(torch.from_numpy(np.array(p["bias"])))


def to_torch(x):
    """NHWC array → contiguous NCHW float tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(x, np.float32).transpose(0, 3, 1, 2)))


def to_numpy(t):
    """NCHW (or NHW) tensor → NHWC (or NHW) array."""
    a = t.detach().numpy()
    return a.transpose(0, 2, 3, 1) if a.ndim == 4 else a
