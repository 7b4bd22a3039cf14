"""Problems with a non-trivial linear forward model: inpainting, deblurring, super-resolution, compressive sensing."""

from __future__ import annotations

import jax.numpy as jnp

from .._checks import as_float_array, check_nonnegative
from .._pytree import pytree_dataclass, set_fields, static
from ..operators import (CircularConvolution, Decimation, LinearOperator, Mask, SameConvolution, SubsampledHadamard,
                         difference_symbol, fwht, polyphase_solve, solve_diagonal_fft)
from ..operators.resample import BOUNDARIES as SR_BOUNDARIES, check_factor
from ..operators.fourier import check_kernel
from .base import Problem
from .identity import IMAGE_RANKS


def _safe_divide(b, den):
    """``b / den`` with 0 where ``den = 0`` (the minimum-norm solution of a singular diagonal system)."""
    return jnp.where(den > 0, b / jnp.where(den > 0, den, 1.0), 0.0).astype(b.dtype)


@pytree_dataclass(init=False)
class Inpaint(Problem):
    """Inpainting, ``y = m ⊙ x``: ``mask`` is 1 on observed pixels, 0 on missing ones.

    ``mask`` has the image's shape, or ``(H, W)`` / ``(H, W, 1)`` to share one
    mask across channels.  (1) is diagonal when no difference term is present.
    """

    def __init__(self, y, mask):
        y = as_float_array(y, "observation y", ranks=IMAGE_RANKS)
        set_fields(self, y=y, op=Mask(mask, tuple(y.shape)))

    @property
    def mask(self):
        return self.op.mask

    def initial_image(self):
        return self.mask * self.y

    def normal_solve_is_exact(self, diff_weights=None, circular=True):
        return not diff_weights

    def solve_normal(self, b, mu=0.0, rho=1.0, diff_weights=None, *, circular=True, **cg):
        if diff_weights:
            return super().solve_normal(b, mu, rho, diff_weights, circular=circular, **cg)
        return _safe_divide(b, mu + rho * self.mask)


BOUNDARIES = ("circular", "replicate")


@pytree_dataclass(init=False)
class Deblur(Problem):
    """Deblurring, ``y = k ∗ x``, with ``boundary`` ``"circular"`` (FFT) or ``"replicate"`` (edge padding).

    The kernel is 2-D, centred at ``(kh//2, kw//2)``, applied to every channel;
    it must be finite, no larger than the image and have a positive sum.
    ``sigma`` (optional, [0, 1] scale) is the noise level if known (SURE-type criteria use it).
    """

    boundary: str = static(default="circular")
    sigma: float | None = None

    def __init__(self, y, kernel, boundary: str = "circular", sigma=None):
        check_nonnegative(sigma, "noise level sigma")
        if boundary not in BOUNDARIES:
            raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
        y = as_float_array(y, "observation y", ranks=IMAGE_RANKS)
        check_kernel(kernel, tuple(y.shape), positive_sum=True)
        op_class = CircularConvolution if boundary == "circular" else SameConvolution
        op = op_class(kernel, tuple(y.shape))
        set_fields(self, y=y, op=op, boundary=boundary, sigma=None if sigma is None else float(sigma))

    @property
    def kernel(self):
        return self.op.kernel

    def normal_solve_is_exact(self, diff_weights=None, circular=True):
        return self.boundary == "circular" and (circular or not diff_weights)

    def solve_normal(self, b, mu=0.0, rho=1.0, diff_weights=None, *, circular=True, **cg):
        if not self.normal_solve_is_exact(diff_weights, circular):
            return super().solve_normal(b, mu, rho, diff_weights, circular=circular, **cg)
        symbol = mu + rho * self.op.symbol() + difference_symbol(b.shape, diff_weights or {})
        return solve_diagonal_fft(b, symbol)


@pytree_dataclass(init=False)
class CompressiveSensing(Problem):
    """Compressive sensing, ``y = A x`` with ``M < N`` measurements (single-pixel camera).

    ``operator`` maps the ``(H, W, C)`` image to measurements ``(M, C)`` (see
    :mod:`jaxreg.operators.compressive`); ``y`` must have its output shape.
    (1) is solved exactly in the Hadamard domain for :class:`SubsampledHadamard`
    without difference terms, by conjugate gradients otherwise.
    """

    def __init__(self, y, operator: LinearOperator):
        if not isinstance(operator, LinearOperator):
            raise ValueError(f"operator must be a jaxreg LinearOperator, got {type(operator).__name__}")
        out_shape = operator.out_shape
        y = as_float_array(y, "measurements y", ranks=(len(out_shape),))
        if tuple(y.shape) != out_shape:
            raise ValueError(f"measurements y have shape {tuple(y.shape)}, the operator produces {out_shape}")
        set_fields(self, y=y, op=operator)

    def normal_solve_is_exact(self, diff_weights=None, circular=True):
        return isinstance(self.op, SubsampledHadamard) and not diff_weights

    def solve_normal(self, b, mu=0.0, rho=1.0, diff_weights=None, *, circular=True, **cg):
        if not self.normal_solve_is_exact(diff_weights, circular):
            return super().solve_normal(b, mu, rho, diff_weights, circular=circular, **cg)
        h, w, c = self.image_shape
        coeffs = fwht(b.reshape(h * w, c))
        return fwht(_safe_divide(coeffs, mu + rho * self.op.sampled_fraction())).reshape(b.shape)


@pytree_dataclass(init=False)
class SuperResolution(Problem):
    """Super-resolution by an integer ``factor``: ``y = S (k ⋆ x)`` (:class:`~jaxreg.operators.Decimation`).

    ``y`` is the low-resolution ``(h, w, C)`` observation; the unknown image is ``(factor·h, factor·w, C)``.
    ``kernel`` is the anti-aliasing filter applied before decimation: ``"lanczos2"`` (the deep image prior code's
    ``Downsampler``, the default), ``"bicubic"``, ``"box"`` or a 2-D array summing to 1.  ``boundary``
    ``"replicate"`` (the DIP code's edge padding, the default) or ``"circular"``; with ``"circular"`` the
    normal equations are solved exactly by the polyphase FFT solution of Zhao et al. (IEEE TIP 2016), with
    ``"replicate"`` by conjugate gradients.  ``sigma`` (optional) is the noise level of ``y`` if known.
    :func:`jaxreg.data.downsample` applies the same model to make test inputs.
    """

    factor: int = static(default=2)
    kernel_name: str = static(default="lanczos2")
    boundary: str = static(default="replicate")
    sigma: float | None = None

    def __init__(self, y, factor, kernel="lanczos2", boundary: str = "replicate", sigma=None):
        f = check_factor(factor)
        check_nonnegative(sigma, "noise level sigma")
        if boundary not in SR_BOUNDARIES:
            raise ValueError(f"boundary must be one of {SR_BOUNDARIES}, got {boundary!r}")
        y = as_float_array(y, "observation y", ranks=IMAGE_RANKS)
        hr_shape = tuple(y.shape[:-3]) + (f * y.shape[-3], f * y.shape[-2], y.shape[-1])
        op = Decimation(kernel, f, hr_shape, boundary=boundary)
        name = kernel if isinstance(kernel, str) else "array"
        set_fields(self, y=y, op=op, factor=f, kernel_name=name, boundary=boundary,
                   sigma=None if sigma is None else float(sigma))

    @property
    def kernel(self):
        return self.op.kernel

    def initial_image(self):
        """The bicubic interpolation of ``y`` to the high-resolution size (the baseline of every SR table)."""
        from ..data import upsample
        return upsample(self.y, self.factor, method="bicubic")

    def normal_solve_is_exact(self, diff_weights=None, circular=True):
        return self.boundary == "circular" and (circular or not diff_weights)

    def solve_normal(self, b, mu=0.0, rho=1.0, diff_weights=None, *, circular=True, **cg):
        if not self.normal_solve_is_exact(diff_weights, circular):
            return super().solve_normal(b, mu, rho, diff_weights, circular=circular, **cg)
        phi = mu + difference_symbol(b.shape, diff_weights or {})
        return polyphase_solve(b, self.op.otf, self.factor, phi, rho)
