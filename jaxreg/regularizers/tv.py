"""Total variation: the norm, its proximal maps on gradient fields, and the TV proximal operator.

With forward differences ``D_a`` along the axes ``a ∈ axes`` and per-axis
weights ``w_a`` (1 on the spatial axes, ``lam_t`` on a third axis),

* anisotropic TV:  ``TV(x) = Σ_i Σ_a w_a |(D_a x)_i|``
* isotropic TV:    ``TV(x) = Σ_i ‖(w_a (D_a x)_i)_a‖₂`` (per pixel and channel)

(Rudin, Osher & Fatemi, Physica D 1992).  Their proximal maps on the gradient
field ``g = (w_a D_a x)_a`` are soft thresholding and group (vector) soft
thresholding.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..operators import gradient, gradient_adjoint  # noqa: F401  (re-exported: the TV gradient field)


def tv_norm(x, axes=(0, 1), weights=None, *, isotropic=True, circular=True):
    """``TV(x)`` as defined in the module docstring."""
    weights = (1.0,) * len(axes) if weights is None else weights
    return tv_of_gradient(gradient(x, axes, weights, circular), isotropic)


def _squared_norm_over_axes(g):
    """``Σ_a g_a²`` over the leading (difference) axis, as a sum of slices: XLA's CPU reduction over a
    leading axis is an order of magnitude slower."""
    return sum(g[i] * g[i] for i in range(g.shape[0]))


def tv_of_gradient(g, isotropic=True):
    """TV of a stacked gradient field ``g`` (leading axis = difference axes)."""
    if isotropic:
        return jnp.sum(jnp.sqrt(_squared_norm_over_axes(g)))
    return jnp.sum(jnp.abs(g))


def soft_threshold(v, t):
    """``prox_{t|·|}(v) = sign(v) max(|v| − t, 0)`` (anisotropic TV on the gradient field)."""
    return jnp.sign(v) * jnp.maximum(jnp.abs(v) - t, 0.0)


def group_soft_threshold(v, t):
    """``prox_{t‖·‖₂}`` applied to the vectors along axis 0: ``v · max(1 − t/‖v‖, 0)`` (isotropic TV)."""
    norm = jnp.sqrt(_squared_norm_over_axes(v))[None]
    scale = jnp.maximum(1.0 - t / jnp.maximum(norm, jnp.finfo(v.dtype).tiny), 0.0)
    return v * scale


def shrink(v, t, isotropic=True):
    """The proximal map of ``t·TV`` on gradient fields (group or elementwise soft thresholding)."""
    return group_soft_threshold(v, t) if isotropic else soft_threshold(v, t)


def chambolle_tau(weights):
    """Chambolle's step ``τ = 1 / (2 Σ_a w_a²)`` (¼ in 2-D, scikit-image's)."""
    return 1.0 / (2.0 * sum(w * w for w in weights))


def chambolle_update(q, g, lam, tau, isotropic=True):
    """One update of Chambolle's dual field for ``min ½‖x − v‖² + lam·TV(x)`` (Chambolle, JMIV 2004, §3)::

        q ← (q + τ G x) / (1 + (τ / lam) |G x|)           with x = v − Gᵀq and g = G x

    ``|G x|`` is the norm over the difference axes (isotropic) or the absolute value (anisotropic)."""
    norm = jnp.sqrt(_squared_norm_over_axes(g))[None] if isotropic else jnp.abs(g)
    return (q + tau * g) / (1.0 + (tau / lam) * norm)


def project_dual(q, lam, isotropic=True):
    """Project a dual field onto ``{|q| ≤ lam}`` (per pixel over the difference axes, or per entry)."""
    if isotropic:
        norm = jnp.sqrt(_squared_norm_over_axes(q))[None]
        return q / jnp.maximum(1.0, norm / lam)
    return jnp.clip(q, -lam, lam)


def tv_prox_chambolle(v, lam, q, num_iters, axes, weights, *, isotropic=True, circular=False):
    """``prox_{lam·TV}(v)`` by ``num_iters`` of Chambolle's iterations warm-started at the dual ``q`` (projected
    onto ``|q| ≤ lam`` first); returns ``(x, q)`` with ``x = v − Gᵀq``."""
    tau = chambolle_tau(weights)

    def body(_, q):
        g = gradient(v - gradient_adjoint(q, axes, weights, circular), axes, weights, circular)
        return chambolle_update(q, g, lam, tau, isotropic)

    q = jax.lax.fori_loop(0, num_iters, body, project_dual(q, lam, isotropic))
    return v - gradient_adjoint(q, axes, weights, circular), q
