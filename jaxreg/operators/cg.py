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


def conjugate_gradient(matvec, b, x0=None, *, max_iters: int = 50, tol: float = 1e-6):
    """Solve ``M x = b`` for SPD ``M`` given by ``matvec``; returns ``x``."""
    x0 = jnp.zeros_like(b) if x0 is None else x0
    r0 = b - matvec(x0)
    rr0 = _dot(r0, r0)
    stop = (tol ** 2) * _dot(b, b)

    def cond(carry):
        _, _, _, rr, k = carry
        return (k < max_iters) & (rr > stop)

    def body(carry):
        x, r, p, rr, k = carry
        mp = matvec(p)
        alpha = rr / jnp.maximum(_dot(p, mp), jnp.finfo(b.dtype).tiny)
        x = x + alpha * p
        r = r - alpha * mp
        rr_new = _dot(r, r)
        p = r + (rr_new / jnp.maximum(rr, jnp.finfo(b.dtype).tiny)) * p
        return x, r, p, rr_new, k + 1

    x, *_ = jax.lax.while_loop(cond, body, (x0, r0, r0, rr0, 0))
    return x
