"""A deep image prior as the denoising step of plug-and-play ADMM (Anderson, "Regularization and
applications of a network structure deep image prior", Stanford report, §5.3).

``prior="dip"`` in :class:`jaxreg.methods.pnp.PnPADMM` replaces ``z ← D(x + u)`` by fitting a network to
``v = x + u``:

    θ ← θ − Adam(lr)(∇_θ mean((g_θ(z₀ + σ_z ε) − v)²))        ``num_inner`` times, warm-started
    D(v) = g_θ(z₀)

The network, its input ``z₀`` and the Adam state live in the prior's state and carry over from one ADMM
iteration to the next, so the fit continues instead of restarting.  The defaults are the paper's: the no-skip
autoencoder (:class:`jaxreg.nets.Autoencoder`, 5 scales of 128), ``z₀ ~ U[0, 0.1)`` with 32 channels and
``lr = 1e-4``.  The DIP denoiser has no strength parameter: ``t = lam/ρ`` is ignored, and the strength is the
number of Adam steps (fewer steps: smoother output).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from .._pytree import pytree_dataclass, static
from .priors import Prior, register_prior


@register_prior("dip")
@pytree_dataclass
class DIPPrior(Prior):
    """Deep image prior denoiser: ``num_inner`` warm-started Adam steps fitting a network to ``v``."""

    lr: float = 1e-4
    reg_noise_std: float = 0.0
    num_inner: int = static(default=50)
    net: object = static(default=None)
    input_depth: int = static(default=32)
    input_scale: float = static(default=0.1)

    def check(self):
        if int(self.num_inner) < 1:
            raise ValueError(f"prior 'dip': num_inner must be >= 1, got {self.num_inner}")
        if self.net is not None and not hasattr(self.net, "apply"):
            raise ValueError(f"prior 'dip': net must be a Flax module, got {type(self.net).__name__}")

    def network(self, channels: int):
        if self.net is not None:
            return self.net
        from ..nets import Autoencoder
        return Autoencoder(out_channels=channels)

    def init(self, key, shape):
        from ..nets import uniform_noise
        if len(shape) != 3:
            raise ValueError(f"prior 'dip' needs (H, W, C) images, got shape {tuple(shape)}")
        h, w, c = shape
        k_param, k_z, k_run = jax.random.split(key, 3)
        z = uniform_noise(k_z, self.input_depth, (h, w), scale=self.input_scale)
        params = self.network(c).init(k_param, z)
        return {"params": params, "opt": optax.adam(self.lr).init(params), "z": z, "key": k_run}

    def denoise(self, state, v, t):
        net = self.network(v.shape[-1])
        opt = optax.adam(self.lr)

        def fit(i, s):
            key, k_noise = jax.random.split(s["key"])
            z = s["z"] + self.reg_noise_std * jax.random.normal(k_noise, s["z"].shape, s["z"].dtype)
            grads = jax.grad(lambda p: jnp.mean(jnp.square(net.apply(p, z)[0] - v)))(s["params"])
            updates, opt_state = opt.update(grads, s["opt"], s["params"])
            return dict(s, params=optax.apply_updates(s["params"], updates), opt=opt_state, key=key)

        state = jax.lax.fori_loop(0, self.num_inner, fit, state)
        return net.apply(state["params"], state["z"])[0].astype(v.dtype), state
