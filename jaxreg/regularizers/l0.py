"""ℓ0 gradient minimisation by half-quadratic splitting (Xu, Lu, Xu & Jia, "Image smoothing via L0
gradient minimization", ACM TOG 30(6), 2011), as in the authors' ``L0Smoothing.m``.

Minimises ``‖S − I‖² + λ C(S)``, ``C(S) = #{p : |∂_x S_p| + |∂_y S_p| ≠ 0}`` (counted jointly over
channels), with auxiliary gradients ``(h, v)`` and a penalty ``β`` that grows from ``β₀ = 2λ`` by
``κ`` until ``β ≥ β_max``; one iteration per ``β`` value:

    (h, v) = (∂_x S, ∂_y S),   set to 0 where Σ_c (h² + v²) < λ/β          (joint-channel threshold)
    S = F⁻¹[ (F(I) + β F(∂_xᵀh + ∂_yᵀv)) / (1 + β (|F(∂_x)|² + |F(∂_y)|²)) ]   (circular FFT)
    β ← κ β

For ``λ = 0.02`` (``β₀ = 0.04``, ``κ = 2``, ``β_max = 1e5``) that is 22 iterations.

**The mean is kept exactly.**  With ``A = I`` and periodic differences the zero frequency of the S-update is
``F(I)₀ / 1`` (``F(∂ᵀ·)₀ = 0``), so every iterate has the mean of ``I``.  In float32 the FFT's round-off in that
bin is multiplied by ``β`` (up to 1e5) and the mean drifts (measured ~1e-5 at 256²); each S-update therefore
restores the per-channel mean of ``I`` (:func:`keep_mean`), which is the exact solution's, not an approximation.  With a forward
operator the S-update solves ``(AᵀA + β DᵀD) S = Aᵀy + β Dᵀ(h, v)`` instead (:func:`jaxreg.operators.solve_normal`).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .._checks import as_float_array, is_concrete
from ..operators import difference, difference_adjoint, difference_symbol, solve_diagonal_fft

SPATIAL = (-3, -2)


def l0_threshold(h, v, lam, beta):
    """Zero ``(h, v)`` where ``Σ_channels (h² + v²) < λ/β`` (all channels together)."""
    keep = jnp.sum(h * h + v * v, axis=-1, keepdims=True) >= lam / beta
    return jnp.where(keep, h, 0.0), jnp.where(keep, v, 0.0)


def keep_mean(s, image):
    """``s`` shifted to the per-channel mean of ``image`` (over the two spatial axes; any leading axes kept)."""
    return s + (jnp.mean(image, axis=SPATIAL, keepdims=True) - jnp.mean(s, axis=SPATIAL, keepdims=True))


def l0_iteration(s, rhs_image, lam, beta, solve):
    """One half-quadratic iteration: threshold the gradients of ``s`` and solve for the new ``S``.

    ``solve(b, beta)`` solves ``(AᵀA + β DᵀD) S = b``; ``rhs_image`` is ``Aᵀy`` (``I`` for smoothing).
    """
    h, v = l0_threshold(difference(s, SPATIAL[1]), difference(s, SPATIAL[0]), lam, beta)
    n2 = difference_adjoint(h, SPATIAL[1]) + difference_adjoint(v, SPATIAL[0])
    return solve(rhs_image + beta * n2, beta)


def num_l0_iterations(lam, beta0=None, kappa=2.0, beta_max=1e5) -> int:
    """Iterations of ``while β < β_max: …; β *= κ`` from ``β₀ = 2λ`` (22 for λ = 0.02)."""
    beta = 2.0 * lam if beta0 is None else beta0
    return max(0, math.ceil(math.log(beta_max / beta) / math.log(kappa) - 1e-12))


def l0_smooth(image, lam=0.02, *, kappa=2.0, beta_max=1e5):
    """ℓ0 gradient smoothing of an ``(H, W, C)`` image, the authors' algorithm (module docstring).

    jit- and vmap-able (``lam`` may be traced: the loop is a ``lax.while_loop`` on ``β``).  Used alone
    and as the ℓ0 proximal step of other methods (the prox of ``t·C`` is ``l0_smooth(v, 2t)``).
    """
    if is_concrete(lam) and not float(lam) > 0:
        raise ValueError(f"l0_smooth: lam must be positive, got {lam}")
    image = as_float_array(image, "image", ranks=(3, 4))
    symbol = difference_symbol(image.shape, {SPATIAL[0]: 1.0, SPATIAL[1]: 1.0})

    def solve(b, beta):
        return keep_mean(solve_diagonal_fft(b, 1.0 + beta * symbol), image)

    def body(carry):
        s, beta = carry
        return l0_iteration(s, image, lam, beta, solve), beta * kappa

    beta0 = jnp.asarray(2.0 * lam, image.dtype)
    s, _ = jax.lax.while_loop(lambda c: c[1] < beta_max, body, (image, beta0))
    return s
