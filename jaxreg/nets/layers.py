"""Building blocks of the networks, NHWC throughout: convolution with reflection or zero padding, BatchNorm
on the statistics of the current input, the conv–BN–activation block, ×2 upsampling, centre-cropping
concatenation, activations, dropout.

They follow ``models/common.py`` of the DIP code (Ulyanov, Vedaldi & Lempitsky, "Deep image prior", CVPR 2018;
``DmitryUlyanov/deep-image-prior``), which every paper here reuses:

* ``conv(..., pad='reflection')`` is ``ReflectionPad2d((k-1)//2)`` followed by an unpadded convolution;
  ``pad='zero'`` is the convolution's own zero padding ``(k-1)//2``.  A stride-2 convolution therefore maps
  ``H`` to ``ceil(H/2)``.
* ``BatchNorm2d`` is never switched to eval mode: every forward pass normalises with the batch statistics of
  its input (mean and *biased* variance over N, H, W; ε = 1e-5), so :class:`BatchNorm` keeps no running
  statistics and ``apply(params, x)`` is a pure function.  Only γ and β are parameters (PyTorch counts the
  same two).
* ``nn.Upsample(scale_factor=2, mode='bilinear')`` (``align_corners=False``: half-pixel centres) is the fixed
  two-tap filter ``out[2i] = ¾·x[i] + ¼·x[i-1]``, ``out[2i+1] = ¾·x[i] + ¼·x[i+1]`` with the edge sample
  repeated; :func:`upsample2x` computes it from shifted slices (one pass per axis), which is what
  ``jax.image.resize(..., 'bilinear')`` computes for an exact ×2 but cheaper.  ``'nearest'`` repeats.
* ``Concat`` centre-crops every input to the smallest spatial size (offset ``(size - min)//2``) and
  concatenates channels in order.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import flax.linen as nn
from jax import lax

from .conv import conv2d
from .init import bias_init, kernel_init

PADS = ("reflection", "zero")
UPSAMPLE_MODES = ("bilinear", "nearest")
BN_EPS = 1e-5


def _swish(x):
    return x * jax.nn.sigmoid(x)


ACTIVATIONS = {
    "LeakyReLU": lambda x: jax.nn.leaky_relu(x, 0.2),  # nn.LeakyReLU(0.2), the DIP default
    "ReLU": jax.nn.relu,
    "ELU": jax.nn.elu,
    "Swish": _swish,
    "none": lambda x: x,
}


def check_choice(value, choices, what: str, owner: str) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{owner}: {what} must be one of {tuple(choices)}, got {value!r}")


def check_image_batch(x, owner: str, in_channels: int | None = None) -> None:
    """Validate a network input: a floating-point ``(N, H, W, C)`` array (tracers allowed: shape and dtype only)."""
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise ValueError(f"{owner}: input must be an array, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{owner}: input must have rank 4 (N, H, W, C); got shape {tuple(x.shape)} "
                         "(add a batch axis with x[None] for a single (H, W, C) image)")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise ValueError(f"{owner}: input must be floating point, got dtype {x.dtype}")
    if in_channels is not None and x.shape[-1] != in_channels:
        raise ValueError(f"{owner}: input has {x.shape[-1]} channels, the network expects {in_channels}")
    if min(x.shape[1:3]) < 1:
        raise ValueError(f"{owner}: input has an empty spatial axis, shape {tuple(x.shape)}")


# ------------------------------------------------------------------------------------------------ convolution
class Conv2d(nn.Module):
    """Convolution layer: ``kernel`` (k, k, C_in, features) and optional ``bias``; padding and algorithm as
    :func:`jaxreg.nets.conv.conv2d`."""

    features: int
    kernel_size: int = 3
    stride: int = 1
    pad: str = "reflection"
    use_bias: bool = True
    weight_init: str = "torch"
    algorithm: str = "auto"

    @nn.compact
    def __call__(self, x):
        shape = (self.kernel_size, self.kernel_size, x.shape[-1], self.features)
        if self.has_variable("params", "kernel"):
            have = self.get_variable("params", "kernel").shape
            if tuple(have[:3]) != shape[:3]:
                where = "/".join(self.scope.path) or "Conv2d"
                raise ValueError(f"{where}: input has {x.shape[-1]} channels, the parameters "
                                 f"were initialised for {have[2]}")
        kernel = self.param("kernel", kernel_init(self.weight_init), shape)
        bias = self.param("bias", bias_init(self.weight_init, shape), (self.features,)) if self.use_bias else None
        return conv2d(x, kernel, bias, stride=self.stride, pad=self.pad, algorithm=self.algorithm)


# ------------------------------------------------------------------------------------------------ BatchNorm
_AXES = (0, 1, 2)


@partial(jax.custom_vjp, nondiff_argnums=(3,))
def batch_norm(x, scale, bias, eps: float = BN_EPS):
    """Normalise each channel of NHWC ``x`` by its mean and biased variance over (N, H, W), then ``γ·x̂ + β``.

    Reverse mode is written out (two passes over the data instead of XLA's generic derivative; about 3 % of a
    DIP step at 256²): with ``n = N·H·W``, ``x̂ = (x − μ)·r``, ``r = (σ² + ε)^(-1/2)``, ``g`` the output gradient,
    ``∂β = Σg``, ``∂γ = Σ g·x̂``, ``∂x = γ·r·(g − Σg/n − x̂·Σ(g·x̂)/n)``.
    """
    return _batch_norm_fwd(x, scale, bias, eps)[0]


def _batch_norm_fwd(x, scale, bias, eps):
    mean = jnp.mean(x, axis=_AXES)
    rstd = lax.rsqrt(jnp.mean(jnp.square(x - mean), axis=_AXES) + eps)
    a = rstd * scale
    return x * a + (bias - mean * a), (x, mean, rstd, scale)


def _batch_norm_bwd(eps, res, g):
    x, mean, rstd, scale = res
    n = x.size // x.shape[-1]
    xhat = (x - mean) * rstd
    sum_g, sum_gx = jnp.sum(g, axis=_AXES), jnp.sum(g * xhat, axis=_AXES)
    dx = (scale * rstd) * (g - sum_g / n - xhat * (sum_gx / n))
    return dx, sum_gx, sum_g


batch_norm.defvjp(_batch_norm_fwd, _batch_norm_bwd)


class BatchNorm(nn.Module):
    """``BatchNorm2d`` in training mode, always: batch statistics of the current input, no running averages."""

    eps: float = BN_EPS

    @nn.compact
    def __call__(self, x):
        c = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (c,))
        bias = self.param("bias", nn.initializers.zeros, (c,))
        return batch_norm(x, scale, bias, self.eps)


class ConvBlock(nn.Module):
    """``act(BN(conv(x)))``, then dropout when ``p_keep < 1`` and a ``'dropout'`` key is in use."""

    features: int
    kernel_size: int = 3
    stride: int = 1
    pad: str = "reflection"
    use_bias: bool = True
    act: str = "LeakyReLU"
    weight_init: str = "torch"
    p_keep: float = 1.0
    algorithm: str = "auto"

    @nn.compact
    def __call__(self, x, use_dropout: bool = False):
        x = Conv2d(self.features, self.kernel_size, self.stride, self.pad, self.use_bias, self.weight_init,
                   self.algorithm, name="conv")(x)
        x = ACTIVATIONS[self.act](BatchNorm(name="bn")(x))
        if use_dropout:
            x = dropout(self.make_rng("dropout"), x, self.p_keep)
        return x


# ------------------------------------------------------------------------------------------------ resampling
def _bilinear2x_axis(x, axis: int):
    """×2 along ``axis`` with PyTorch's ``align_corners=False`` weights (¼, ¾) and edge clamping."""
    n = x.shape[axis]
    first = lax.slice_in_dim(x, 0, 1, axis=axis)
    last = lax.slice_in_dim(x, n - 1, n, axis=axis)
    prev = jnp.concatenate([first, lax.slice_in_dim(x, 0, n - 1, axis=axis)], axis=axis)
    nxt = jnp.concatenate([lax.slice_in_dim(x, 1, n, axis=axis), last], axis=axis)
    even = 0.75 * x + 0.25 * prev
    odd = 0.75 * x + 0.25 * nxt
    out = jnp.stack([even, odd], axis=axis + 1)
    return out.reshape(x.shape[:axis] + (2 * n,) + x.shape[axis + 1:])


def upsample2x(x, mode: str = "bilinear"):
    """×2 upsampling of H and W of NHWC ``x``: ``'bilinear'`` (half-pixel centres) or ``'nearest'`` (repeat)."""
    if mode == "nearest":
        return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
    return _bilinear2x_axis(_bilinear2x_axis(x, 1), 2)


def centre_crop(x, h: int, w: int):
    """Crop H, W of NHWC ``x`` to ``(h, w)`` around the centre (offset ``(size - target)//2``, as DIP's Concat)."""
    dh, dw = (x.shape[1] - h) // 2, (x.shape[2] - w) // 2
    if dh == 0 and dw == 0 and x.shape[1] == h and x.shape[2] == w:
        return x
    return x[:, dh:dh + h, dw:dw + w, :]


def crop_concat(xs):
    """DIP's ``Concat``: centre-crop every NHWC input to the smallest H and W, concatenate channels in order."""
    h = min(x.shape[1] for x in xs)
    w = min(x.shape[2] for x in xs)
    return jnp.concatenate([centre_crop(x, h, w) for x in xs], axis=-1)


# ------------------------------------------------------------------------------------------------ dropout
def dropout(key, x, p_keep: float):
    """Inverted dropout: keep each entry with probability ``p_keep`` and scale kept entries by ``1/p_keep``."""
    keep = jax.random.bernoulli(key, p_keep, x.shape)
    return jnp.where(keep, x / p_keep, 0.0)
