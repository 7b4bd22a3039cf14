"""Problems with a non-trivial linear forward model: inpainting, deblurring, super-resolution, compressive sensing."""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

from .._checks import as_float_array, check_finite, check_nonnegative, is_concrete
from .._pytree import pytree_dataclass, set_fields, static
from ..operators import CircularConvolution, Decimation, LinearOperator, Mask, SameConvolution
from ..operators.resample import BOUNDARIES as SR_BOUNDARIES, check_factor
from ..operators.fourier import check_kernel
from .base import Problem
from .identity import IMAGE_RANKS


@pytree_dataclass(init=False)
class Inpaint(Problem):
    """Inpainting, ``y = m ⊙ x``: ``mask`` is 1 on observed pixels, 0 on missing ones.

    ``mask`` has the image's shape, or ``(H, W)`` / ``(H, W, 1)`` to share one
    mask across channels.  Its normal equations (:mod:`jaxreg.operators.normal`) are diagonal when no difference
    term is present.
    """

    def __init__(self, y, mask):
        y = as_float_array(y, "observation y", ranks=IMAGE_RANKS)
        set_fields(self, y=y, op=Mask(mask, tuple(y.shape)))

    @property
    def mask(self):
        return self.op.mask

    def initial_image(self):
        return self.mask * self.y


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


def check_measurement_mask(mask, out_shape, name: str = "measurement mask"):
    """Validate a 0/1 mask of the measurements ``(M, C)``; return it as float ``(M, 1)`` or ``(M, C)``.

    Accepted shapes: ``(M,)`` or ``(M, 1)`` (one mask shared by the channels: whole measurements) and
    ``(M, C)``; for an operator with another output shape ``(M, …)``: ``(M,)``, ``(M, 1, …, 1)`` or the output
    shape.  Values (when concrete): finite, only 0 and 1 (or bool), at least one 1.
    """
    m = mask if hasattr(mask, "dtype") else np.asarray(mask)
    shape, out_shape = tuple(m.shape), tuple(out_shape)
    if len(out_shape) < 1:
        raise ValueError(f"a {name} needs an operator with at least one output axis, got {out_shape}")
    rows = out_shape[:1] + (1,) * (len(out_shape) - 1)
    if shape == out_shape[:1]:
        m = m.reshape(rows)
    elif shape not in (rows, out_shape):
        expected = ", ".join(str(s) for s in dict.fromkeys([out_shape[:1], rows, out_shape]))
        raise ValueError(f"{name} shape {shape} does not match the measurements {out_shape} "
                         f"(expected {expected})")
    if not (m.dtype == bool or jnp.issubdtype(m.dtype, jnp.integer) or jnp.issubdtype(m.dtype, jnp.floating)):
        raise ValueError(f"{name} must be a boolean or real array of 0 and 1, got dtype {m.dtype}")
    if is_concrete(m):
        a = np.asarray(m)
        if a.dtype != bool:
            check_finite(a, name)
            if not np.all((a == 0) | (a == 1)):
                bad = a[(a != 0) & (a != 1)]
                raise ValueError(f"{name} must contain only 0 and 1, found {bad.size} other values "
                                 f"(e.g. {float(bad.flat[0])!r})")
        if not np.any(a):
            raise ValueError(f"{name} keeps no measurement (all zeros)")
    return jnp.asarray(m, dtype=float)  # float32, or float64 under jax_enable_x64


@pytree_dataclass(init=False)
class CompressiveSensing(Problem):
    """Compressive sensing, ``y = m ⊙ (A x)`` with ``M < N`` measurements (single-pixel camera).

    ``operator`` maps the ``(H, W, C)`` image to measurements ``(M, C)`` (see
    :mod:`jaxreg.operators.compressive`); ``y`` must have its output shape.
    ``mask`` (optional) is 1 on the measurements to use and 0 on those to ignore,
    ``(M,)`` / ``(M, 1)`` (whole measurements, shared by the channels) or ``(M, C)``;
    the default keeps every measurement (a leaf of ones, ``(M, 1)``).  Every use of
    ``A`` goes through it: ``forward`` is ``m ⊙ A x``, ``adjoint`` is ``Aᵀ(m ⊙ r)``, the
    data term is ``½‖m ⊙ (A x − y)‖²`` (entries of ``y`` where ``m = 0`` are ignored).
    Hold-out validation (:class:`jaxreg.selection.Holdout`) hides measurements this way
    without changing any shape.  The normal equations (:mod:`jaxreg.operators.normal`) are solved exactly in
    the Hadamard domain for
    :class:`SubsampledHadamard` without difference terms (``AᵀMA = H SᵀMS H`` with
    ``SᵀMS`` the mask scattered to the measured rows, diagonal), by conjugate
    gradients otherwise.
    """

    mask: jnp.ndarray = None

    def __init__(self, y, operator: LinearOperator, mask=None):
        if not isinstance(operator, LinearOperator):
            raise ValueError(f"operator must be a jaxreg LinearOperator, got {type(operator).__name__}")
        out_shape = operator.out_shape
        y = as_float_array(y, "measurements y", ranks=(len(out_shape),))
        if tuple(y.shape) != out_shape:
            raise ValueError(f"measurements y have shape {tuple(y.shape)}, the operator produces {out_shape}")
        if mask is None:  # every measurement, one weight per row: (M, 1)
            mask = jnp.ones(out_shape[:1] + (1,) * (len(out_shape) - 1), dtype=float)
        else:
            mask = check_measurement_mask(mask, out_shape)
        set_fields(self, y=y, op=operator, mask=mask)

    def _weights(self, r):
        return self.mask.astype(r.dtype)

    def forward(self, x):
        """``m ⊙ A x``."""
        ax = self.op.apply(x)
        return self._weights(ax) * ax

    def adjoint(self, r):
        """``Aᵀ(m ⊙ r)``."""
        return self.op.adjoint(self._weights(r) * r)

    def residual(self, x):
        """``m ⊙ (A x − y)``."""
        ax = self.op.apply(x)
        return self._weights(ax) * (ax - self.y)

    @property
    def measurement_weights(self):
        """``W = m`` in the normal operator ``μ I + ρ AᵀWA + …`` (``m² = m``)."""
        return self.mask

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
