"""The WGAN-GP critic objective (Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017), as
ALR trains its local regulariser (Prost et al., SSVM 2021, eq. (7) and Algorithm 1).

The critic maximises ``D(θ) = E_n[r_θ(z)] − E_c[r_θ(z)] − μ E_i[(‖∇_z r_θ(z)‖₂ − 1)²]``: high scores on degraded
patches, low on clean ones, gradient norm close to 1 on the segments between the two (so that ``r_θ`` approximates
the distance to the clean patches).  We minimise ``L = −D``::

    L = mean r(clean) − mean r(degraded) + μ · mean_j (‖∇_z r(ẑ_j)‖ − 1)²,   ẑ_j = α_j c_j + (1 − α_j) n_j

with one ``α_j ~ U[0, 1]`` *per sample* (as the authors' code and Gulrajani et al.; Algorithm 1 of the paper
writes a single α per batch) and ``‖g‖ = sqrt(Σ g² + 1e-12)`` (the code's ε).

A critic is any ``apply(params, z) -> scores`` whose output has the batch axis first; a sample's score is the
mean of its output (a 1×1 map for a patch of the critic's receptive field).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

GRAD_EPS = 1e-12


def sample_scores(apply, params, z):
    """One score per sample: the mean of ``apply(params, z)`` over every axis but the first."""
    out = apply(params, z)
    return jnp.mean(out.reshape(out.shape[0], -1), axis=1)


def input_gradient_norms(apply, params, z):
    """``‖∇_z r(z_j)‖₂`` for every sample ``z_j`` of the batch (samples do not interact in a critic)."""
    g = jax.grad(lambda v: jnp.sum(sample_scores(apply, params, v)))(z)
    return jnp.sqrt(jnp.sum(jnp.square(g.reshape(g.shape[0], -1)), axis=1) + GRAD_EPS)


def interpolate(clean, degraded, alpha):
    """``α_j c_j + (1 − α_j) n_j`` with one ``α_j`` per sample (``alpha`` of shape ``(B,)``)."""
    a = alpha.reshape((-1,) + (1,) * (clean.ndim - 1)).astype(clean.dtype)
    return a * clean + (1 - a) * degraded


def gradient_penalty(apply, params, clean, degraded, alpha):
    """``mean_j (‖∇_z r(ẑ_j)‖ − 1)²`` on the interpolates ``ẑ_j``; also returns the norms."""
    norms = input_gradient_norms(apply, params, interpolate(clean, degraded, alpha))
    return jnp.mean(jnp.square(norms - 1.0)), norms


def critic_loss(params, apply, clean, degraded, alpha, mu):
    """``(L, aux)``: the loss to minimise (module docstring) and ``{"wasserstein", "gp", "grad_norm"}``, where
    ``wasserstein = mean r(degraded) − mean r(clean)`` is the critic's estimate of W₁(P_n, P_c)."""
    r_c = jnp.mean(sample_scores(apply, params, clean))
    r_n = jnp.mean(sample_scores(apply, params, degraded))
    gp, norms = gradient_penalty(apply, params, clean, degraded, alpha)
    loss = r_c - r_n + mu * gp
    return loss, {"wasserstein": r_n - r_c, "gp": gp, "grad_norm": jnp.mean(norms)}
