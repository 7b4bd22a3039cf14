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
    """Deep image prior denoiser: ``num_inner`` warm-started Adam steps fitting a network to ``v``.

    ``prior`` (a :class:`jaxreg.nets.prior.DeepPrior`, e.g. ``jaxreg.priors.drp()``) replaces the default
    (the autoencoder, ``z₀ ~ U[0, 0.1)`` with ``input_depth`` channels, all weights trained); the fitting step is
    the one every untrained-network method takes (:meth:`DeepPrior.fit_step`)."""

    lr: float = 1e-4
    reg_noise_std: float = 0.0
    num_inner: int = static(default=50)
    net: object = static(default=None)
    input_depth: int = static(default=32)
    input_scale: float = static(default=0.1)
    prior: object = static(default=None)

    def deep_prior(self):
        from ..nets.prior import DeepPrior
        if self.prior is not None:
            return self.prior
        return DeepPrior(architecture="Autoencoder", net=self.net, input_kind="uniform",
                         input_depth=self.input_depth, input_scale=self.input_scale, trains="weights")

    def check(self):
        from ..nets.prior import DeepPrior
        if int(self.num_inner) < 1:
            raise ValueError(f"prior 'dip': num_inner must be >= 1, got {self.num_inner}")
        if self.prior is not None and not isinstance(self.prior, DeepPrior):
            raise ValueError(f"prior 'dip': prior must be a jaxreg.priors.DeepPrior, got {type(self.prior).__name__}")
        self.deep_prior().validate("prior 'dip'")

    def network(self, channels: int):
        return self.deep_prior().network(channels)

    def init(self, key, shape):
        if len(shape) != 3:
            raise ValueError(f"prior 'dip' needs (H, W, C) images, got shape {tuple(shape)}")
        h, w, c = shape
        k_param, k_z, k_run = jax.random.split(key, 3)
        prior = self.deep_prior()
        net = prior.network(c)
        z = prior.draw_input(k_z, c, (h, w), net, who="prior 'dip'")
        params = net.init(k_param, z)
        return {"params": params, "opt": prior.init_optimizer(optax.adam(self.lr), params, z), "z": z, "key": k_run}

    def denoise(self, state, v, t):
        prior = self.deep_prior()
        net = prior.network(v.shape[-1])
        opt = optax.adam(self.lr)

        def fit(i, s):
            key, k_noise = jax.random.split(s["key"])
            noise = self.reg_noise_std * jax.random.normal(k_noise, s["z"].shape, s["z"].dtype)

            def loss_fn(params, z):
                return jnp.mean(jnp.square(net.apply(params, z + noise)[0] - v)), None

            params, z, opt_state, _, _ = prior.fit_step(opt, loss_fn, s["params"], s["z"], s["opt"])
            return dict(s, params=params, z=z, opt=opt_state, key=key)

        state = jax.lax.fori_loop(0, self.num_inner, fit, state)
        return net.apply(state["params"], state["z"])[0].astype(v.dtype), state
