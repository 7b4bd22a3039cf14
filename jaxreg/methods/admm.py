"""What the library's ADMMs share: the default penalty and relative residual balancing.

Residual balancing (Boyd et al., FnT ML 2011, §3.4.1) on the *relative* residuals (Wohlberg, "ADMM penalty
parameter selection by residual balancing", arXiv:1704.06209, 2017)::

    r̃ = r / primal_scale,   s̃ = s / dual_scale
    ρ ← 2ρ if r̃ > 10 s̃;   ρ ← ρ/2 if s̃ > 10 r̃;   scaled duals u ← u·ρ_old/ρ_new

Used by ``tv``, ``pnp-admm`` and ``dip-tv-admm``, each with its own residuals and scales.
"""

from __future__ import annotations

import jax.numpy as jnp

RHO_PER_LAM = 10.0  # the default starting penalty: ρ₀ = 10 λ


def norm(x):
    """``‖x‖₂`` over every entry."""
    return jnp.sqrt(jnp.sum(x * x))


def balance_factor(r, s, primal_scale, dual_scale):
    """The factor ρ is multiplied by (2, ½ or 1; the scaled duals are divided by it), from the primal and dual
    residuals ``r``, ``s`` and the scales that make them relative (module docstring)."""
    tiny = jnp.finfo(jnp.result_type(r)).tiny
    r_rel = r / jnp.maximum(primal_scale, tiny)
    s_rel = s / jnp.maximum(dual_scale, tiny)
    return jnp.where(r_rel > 10.0 * s_rel, 2.0, jnp.where(s_rel > 10.0 * r_rel, 0.5, 1.0)).astype(jnp.result_type(r))
