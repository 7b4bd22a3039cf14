"""Conjugate gradients for symmetric positive-definite operators, inside the graph.

Hestenes & Stiefel (1952).  Runs in ``lax.while_loop`` for at most
``max_iters`` steps and stops when ``‖r‖ ≤ tol ‖b‖``; used where the normal
equations of a problem are not diagonal in any fast transform.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _dot(a, b):
    return jnp.vdot(a, b).real


def cg_init(matvec, b, x0):
    """The CG state ``(x, r, p, ‖r‖²)`` at ``x0``: ``r = p = b − M x0``."""
    r = b - matvec(x0)
    return x0, r, r, _dot(r, r)


def cg_step(matvec, x, r, p, rr):
    """One conjugate-gradient step (Hestenes & Stiefel 1952)::

        α = ‖r‖² / pᵀMp;   x ← x + α p;   r ← r − α M p;   p ← r + (‖r_new‖² / ‖r‖²) p
    """
    tiny = jnp.finfo(x.dtype).tiny
    mp = matvec(p)
    alpha = rr / jnp.maximum(_dot(p, mp), tiny)
    x = x + alpha * p
    r = r - alpha * mp
    rr_new = _dot(r, r)
    p = r + (rr_new / jnp.maximum(rr, tiny)) * p
    return x, r, p, rr_new


def conjugate_gradient(matvec, b, x0=None, *, max_iters: int = 50, tol: float = 1e-6):
    """Solve ``M x = b`` for SPD ``M`` given by ``matvec``; returns ``x``."""
    x0 = jnp.zeros_like(b) if x0 is None else x0
    stop = (tol ** 2) * _dot(b, b)

    def cond(carry):
        return (carry[-1] < max_iters) & (carry[3] > stop)

    def body(carry):
        return cg_step(matvec, *carry[:4]) + (carry[-1] + 1,)

    x, *_ = jax.lax.while_loop(cond, body, cg_init(matvec, b, x0) + (0,))
    return x
