"""'Same'-size convolution with replicate (edge) padding.

``K x = conv_valid(pad_edge(x), h)``: a linear map (padding copies pixels), so
its adjoint is derived automatically by ``jax.linear_transpose``.  This is the
boundary model of the ALR deblurring code and of most real blurred images.

Kernels larger than 7×7 are applied by FFT on the padded image: the circular
convolution of the ``(H + kh − 1) × (W + kw − 1)`` padded image wraps only into
its first ``kh − 1`` rows and ``kw − 1`` columns, which are cropped, so the
result is the same valid convolution (to float round-off, ~1e-6).  For the ALR
code's 25×25 kernels at 128² this makes a TV-ADMM run with conjugate-gradient
x-updates about 10× faster than the direct convolution inside the solver loop.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass, set_fields
from .base import LinearOperator
from .fourier import check_kernel


FFT_MIN_TAPS = 49  # kernels with more taps than 7×7 go through the FFT


def same_convolve(x, kernel):
    """Convolve each channel of ``(…, H, W, C)`` ``x`` with ``kernel``, replicate padding, same size."""
    kh, kw = kernel.shape
    ch, cw = kh // 2, kw // 2
    lead = x.shape[:-3]
    h, w, c = x.shape[-3:]
    pad = [(0, 0)] * len(lead) + [(kh - 1 - ch, ch), (kw - 1 - cw, cw), (0, 0)]
    xp = jnp.pad(x, pad, mode="edge")
    if kh * kw > FFT_MIN_TAPS:
        hp, wp = h + kh - 1, w + kw - 1
        otf = jnp.fft.rfft2(kernel.astype(x.dtype), s=(hp, wp))[..., None]
        full = jnp.fft.irfft2(jnp.fft.rfft2(xp, axes=(-3, -2)) * otf, s=(hp, wp), axes=(-3, -2))
        return full[..., kh - 1:kh - 1 + h, kw - 1:kw - 1 + w, :].astype(x.dtype)
    # channels (and leading axes) become the batch: NCHW with one feature
    xp = jnp.moveaxis(xp.reshape((-1,) + xp.shape[-3:]), -1, 1).reshape(-1, 1, h + kh - 1, w + kw - 1)
    flipped = kernel[::-1, ::-1].astype(x.dtype)[None, None]
    y = jax.lax.conv_general_dilated(xp, flipped, (1, 1), "VALID",
                                     precision=jax.lax.Precision.HIGHEST)
    y = jnp.moveaxis(y.reshape((-1, c, h, w)), 1, -1)
    return y.reshape(lead + (h, w, c))


@pytree_dataclass(init=False)
class SameConvolution(LinearOperator):
    """Convolution with replicate padding; output has the input's size; automatic adjoint."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls(jax.random.uniform(key, (4, 3)), shape)

    kernel: jnp.ndarray = None

    def __init__(self, kernel, in_shape):
        in_shape = tuple(in_shape)
        set_fields(self, in_shape=in_shape, kernel=check_kernel(kernel, in_shape))

    def apply(self, x):
        return same_convolve(x, self.kernel)
