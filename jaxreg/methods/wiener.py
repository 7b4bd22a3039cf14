"""Wiener (Tikhonov-regularised) deconvolution with a circular blur, and the same filter for denoising.

    x̂ = F⁻¹[ conj(K̂) Ŷ / (|K̂|² + balance · |R̂|²) ]

with ``R`` the identity (``|R̂|² = 1``) or the discrete Laplacian (``R̂ = Σ_a (2 − 2cos 2πk_a/N_a)``
over H and W), as in ``skimage.restoration.wiener(..., clip=False)`` (Orieux, Giovannelli & Rodet,
JOSA A 2010).  Non-iterative: :func:`wiener_deconvolve` is a pure function; the method ``wiener``
computes it in ``init`` (one iteration) so it runs through ``solve``/``sweep`` like every method,
and it is the first stage of "Wiener + DIP" (Anderson, "Regularization and applications of a
network structure deep image prior", Stanford report).
"""

from __future__ import annotations

import jax.numpy as jnp

from .._pytree import pytree_dataclass, static
from ..operators import difference_symbol, kernel_otf
from ..operators.fourier import SPATIAL_AXES
from ..problems import Deblur, Denoise
from .base import ClosedForm
from .registry import register

REGULARISERS = ("laplacian", "identity")


def wiener_symbol(kernel, shape, balance, reg: str = "laplacian", dtype=jnp.float32):
    """The filter's DFT symbol ``W = conj(K̂) / (|K̂|² + balance · |R̂|²)``, shape ``(H, W, 1)``, for images of
    ``shape`` (``(…, H, W, C)``): ``x̂ = F⁻¹[W Ŷ]`` per channel."""
    if reg not in REGULARISERS:
        raise ValueError(f"reg must be one of {REGULARISERS}, got {reg!r}")
    otf = kernel_otf(jnp.asarray(kernel, dtype), shape)
    if reg == "laplacian":
        r2 = difference_symbol(tuple(shape[-3:-1]) + (1,), {0: 1.0, 1: 1.0}) ** 2
    else:
        r2 = 1.0
    return jnp.conj(otf) / (jnp.abs(otf) ** 2 + balance * r2)


def wiener_deconvolve(y, kernel, balance, reg: str = "laplacian"):
    """Wiener deconvolution of ``(…, H, W, C)`` ``y`` blurred circularly by ``kernel`` (centred at ``(kh//2, kw//2)``)."""
    spectrum = jnp.fft.fft2(y, axes=SPATIAL_AXES) * wiener_symbol(kernel, y.shape, balance, reg, y.dtype)
    return jnp.real(jnp.fft.ifft2(spectrum, axes=SPATIAL_AXES)).astype(y.dtype)


@register
@pytree_dataclass
class Wiener(ClosedForm):
    """Wiener deconvolution (circular model) with identity or Laplacian regulariser; one iteration.

    On a :class:`Denoise` problem the blur is the identity (``K̂ = 1``): ``x̂ = F⁻¹[Ŷ / (1 + balance·|R̂|²)]``, a
    linear shift-invariant smoother (with the Laplacian, the Fourier form of Tikhonov denoising with a
    second-order penalty)."""

    name = "wiener"
    paper = "Wiener 1949; as skimage.restoration.wiener (Orieux et al. 2010); Wiener + DIP: Anderson"
    problems = (Deblur, Denoise)
    nonnegative = ("balance",)

    balance: float = 0.01
    reg: str = static(default="laplacian", choices=REGULARISERS)

    def _kernel(self, problem):
        return problem.kernel if isinstance(problem, Deblur) else jnp.ones((1, 1), problem.y.dtype)

    def compute(self, problem):
        return wiener_deconvolve(problem.y, self._kernel(problem), self.balance, self.reg)

    def linear_symbol(self, problem):
        """``W``: the output is ``F⁻¹(W ⊙ F y)`` per channel, a linear shift-invariant filter, so the SURE family
        uses the exact trace of its Jacobian instead of a paired run (:mod:`jaxreg.selection`)."""
        return wiener_symbol(self._kernel(problem), problem.y.shape, self.balance, self.reg, problem.y.dtype)
