"""Denoising priors for plug-and-play ADMM: approximate proximal maps ``z ≈ prox_{t·R}(v)``.

A prior is a small pytree with ``init(key, shape) -> state`` and
``denoise(state, v, t) -> (z, state)``; ``t = lam/ρ`` is the strength of the step.  The state lets
a prior warm-start (TV) or carry a network (deep priors, such as ``"dip"`` of
:mod:`jaxreg.regularizers.deep_priors`, added through :func:`register_prior`).

* :class:`TVPrior` — ``prox_{t·TV}`` by ``num_inner`` warm-started iterations of Chambolle's projection.
* :class:`L0Prior` — ``prox_{t·C}`` with ``C`` the ℓ0 gradient count, by Xu et al.'s smoother with
  ``λ = 2t`` (its objective is ``‖S − v‖² + λ C(S)``, twice the proximal objective).
* :class:`BM3DPrior` — BM3D (Dabov et al., IEEE TIP 2007) with noise level ``√t``, through a host
  callback (``jax.pure_callback``); needs the optional ``bm3d`` package.
"""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp

from .._pytree import Pytree, pytree_dataclass, static
from .l0 import l0_smooth
from .tv import tv_prox_chambolle

PRIORS: dict = {}


def register_prior(name):
    """Class decorator: make a prior available to ``pnp-admm`` as ``prior=name``."""
    def wrap(cls):
        PRIORS[name] = cls
        return cls
    return wrap


def get_prior(prior):
    """A prior instance from a name or an instance."""
    if isinstance(prior, str):
        if prior not in PRIORS:
            raise ValueError(f"unknown prior {prior!r}; available: {', '.join(sorted(PRIORS))}")
        return PRIORS[prior]()
    if not hasattr(prior, "denoise"):
        raise ValueError(f"prior must be a name or an object with init/denoise, got {type(prior).__name__}")
    return prior


class Prior(Pytree):
    """Base class: stateless unless ``init`` says otherwise.  ``convex`` says whether the prior is the proximal map
    of a convex function (``pnp-admm`` then balances its penalty by default)."""

    convex = False

    def check(self) -> None:
        """Eager availability checks (e.g. optional packages)."""

    def init(self, key, shape):
        return {}


@register_prior("tv")
@pytree_dataclass
class TVPrior(Prior):
    """``prox_{t·TV}(v)`` by ``num_inner`` of Chambolle's dual iterations (no linear solve), warm-started from the
    previous call's dual field; zero-flux differences, as the ``tv`` method."""

    convex = True

    num_inner: int = static(default=20)
    isotropic: bool = static(default=True)

    def init(self, key, shape):
        return {"q": jnp.zeros((2,) + tuple(shape))}

    def denoise(self, state, v, t):
        x, q = tv_prox_chambolle(v, t, state["q"].astype(v.dtype), self.num_inner, (-3, -2), (1.0, 1.0),
                                 isotropic=self.isotropic, circular=False)
        return x, {"q": q}


@register_prior("l0")
@pytree_dataclass
class L0Prior(Prior):
    """``prox_{t·C}(v)`` (ℓ0 gradient count) by Xu et al.'s smoother with ``λ = 2t``."""

    def denoise(self, state, v, t):
        return l0_smooth(v, 2.0 * t), state


def _bm3d_host(v, sigma):
    import bm3d
    v = np.asarray(v, np.float64)
    sigma = float(sigma)
    if v.shape[-1] == 3:
        out = bm3d.bm3d_rgb(v, sigma)
    else:
        out = bm3d.bm3d(v, sigma_psd=sigma)
        out = out.reshape(v.shape)
    return np.asarray(out, np.float32)


@register_prior("bm3d")
@pytree_dataclass
class BM3DPrior(Prior):
    """BM3D with noise level ``√t`` on the host (``jax.pure_callback``; not differentiable; runs on CPU)."""

    def check(self):
        try:
            import bm3d  # noqa: F401
        except ImportError:
            raise ValueError("prior 'bm3d' needs the optional bm3d package: pip install bm3d") from None

    def denoise(self, state, v, t):
        out = jax.ShapeDtypeStruct(v.shape, jnp.float32)
        z = jax.pure_callback(_bm3d_host, out, v, jnp.sqrt(t), vmap_method="sequential")
        return z.astype(v.dtype), state
