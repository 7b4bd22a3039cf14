"""A deep prior as a value: which network, its random input, and what the optimiser trains.

Every untrained-network method (DIP and its variants, DRP, DIP-ℓ0) fits ``x = g_θ(z)`` to the data; the
algorithm around the fit (its loss, its ADMM or ℓ0 splitting, its stopping) is the method, the triple below is
the *prior*, and any algorithm takes any prior: ``methods.get("dip-l0", prior=priors.drp("denoising"))`` is
DIP-ℓ0 (Tran, Bui & Xin) with the Deep Random Projector (Li, Wang, Zhuang & Sun, CVPR 2023) as its network,
with no class written for the pairing.  The optimiser's step size stays the method's ``lr`` (a leaf, so a sweep
can vary it); the optimiser is Adam in every method here, as in the papers.

Fields (all static: they fix the program's structure):

* ``architecture`` and ``options`` — a network class of :mod:`jaxreg.nets` built with ``out_channels`` = the
  image's channels and the ``options`` (pairs of keyword and value); or ``net``, a ready Flax module;
* ``input_kind`` (``"uniform"``: ``U[0, input_scale)``, DIP's; ``"normal"``: ``N(0, 1)·input_scale``, DRP's;
  ``"meshgrid"``: the 2-channel grid, DRP inpainting's), ``input_depth`` (channels of ``z``; None: the image's,
  or the network's ``seed_channels()`` such as the Deep Decoder's first width) and ``input_scale``;
* ``trains`` — ``"weights"`` (every parameter θ with ``z`` fixed: DIP; Ulyanov, Vedaldi & Lempitsky, CVPR 2018)
  or ``"seed-bn"`` (the seed ``z`` and the BatchNorm affine parameters, the convolutions frozen bitwise at their
  random initialisation: DRP).
"""

from __future__ import annotations

import jax
import optax

from .._pytree import Pytree, pytree_dataclass, static

TRAINS = ("weights", "seed-bn")
INPUT_KINDS = ("uniform", "normal", "meshgrid")


@pytree_dataclass
class DeepPrior(Pytree):
    """Network + input + what is trained (module docstring)."""

    architecture: str = static(default="Skip")
    options: tuple = static(default=())
    net: object = static(default=None)
    input_kind: str = static(default="uniform")
    input_depth: int | None = static(default=32)
    input_scale: float = static(default=0.1)
    trains: str = static(default="weights")

    def validate(self, who: str = "prior") -> None:
        """Eager checks; ``ValueError`` naming ``who`` and the field."""
        from .. import nets
        if self.trains not in TRAINS:
            raise ValueError(f"{who}: trains must be one of {TRAINS}, got {self.trains!r}")
        if self.input_kind not in INPUT_KINDS:
            raise ValueError(f"{who}: input_kind must be one of {INPUT_KINDS}, got {self.input_kind!r}")
        if self.input_depth is not None and int(self.input_depth) < 1:
            raise ValueError(f"{who}: input_depth must be >= 1, got {self.input_depth}")
        if self.net is not None and not hasattr(self.net, "apply"):
            raise ValueError(f"{who}: net must be a Flax module, got {type(self.net).__name__}")
        if self.net is None and not (isinstance(getattr(nets, self.architecture, None), type)
                                     and hasattr(getattr(nets, self.architecture), "apply")):
            raise ValueError(f"{who}: architecture must name a network class of jaxreg.nets, got "
                             f"{self.architecture!r}")
        try:
            dict(self.options)
        except (TypeError, ValueError):
            raise ValueError(f"{who}: options must be (keyword, value) pairs, got {self.options!r}") from None

    def network(self, channels: int):
        """The Flax module: ``net``, or ``architecture(out_channels=channels, **options)``."""
        if self.net is not None:
            return self.net
        from .. import nets
        return getattr(nets, self.architecture)(out_channels=channels, **dict(self.options))

    def seed_channels(self, net, channels: int) -> int:
        """Channels of ``z``: ``input_depth``, else the network's ``seed_channels()``, else the image's."""
        if self.input_depth is not None:
            return int(self.input_depth)
        own = getattr(net, "seed_channels", None)
        return int(own()) if callable(own) else int(channels)

    def draw_input(self, key, channels: int, size, net, who: str = "prior"):
        """The seed ``z`` of shape ``(1, h, w, depth)`` for an ``(H, W)`` image; ``(h, w) = (H, W)`` unless the
        network upsamples its seed by ``f = net.upsampling_factor()`` (the Deep Decoder): ``(H/f, W/f)``."""
        from . import inputs
        h, w = size
        f = int(net.upsampling_factor()) if hasattr(net, "upsampling_factor") else 1
        if h % f or w % f:
            raise ValueError(f"{who}: the network upsamples its seed {f}x, so H and W must be multiples of {f}; "
                             f"got {h}x{w}")
        size = (h // f, w // f)
        if self.input_kind == "meshgrid":
            return inputs.meshgrid(size)
        draw = inputs.uniform_noise if self.input_kind == "uniform" else inputs.normal_noise
        return draw(key, self.seed_channels(net, channels), size, scale=self.input_scale)

    # -- what is trained ------------------------------------------------------------------------------
    def trained(self, params, z):
        """The variables the optimiser updates: ``params`` (``"weights"``) or ``{"bn": θ_BN, "z": z}``."""
        if self.trains == "weights":
            return params
        from .params import select, trainable_mask
        return {"bn": select(params, trainable_mask(params)), "z": z}

    def assemble(self, trained, params, z):
        """``(params, z)`` with the trained variables put back (frozen leaves are the same arrays)."""
        if self.trains == "weights":
            return trained, z
        from .params import replace
        return replace(params, trained["bn"]), trained["z"]

    def init_optimizer(self, optimizer, params, z):
        """The optimiser state of the trained variables."""
        return optimizer.init(self.trained(params, z))

    def fit_step(self, optimizer, loss_fn, params, z, opt_state):
        """One optimiser step on the trained variables of ``loss_fn(params, z) -> (loss, aux)``: the one fitting
        step of every method and of the plug-and-play DIP denoiser.  Returns ``(params, z, opt_state, loss,
        aux)``; ``loss`` and ``aux`` are those of the pre-step variables; frozen leaves are the same arrays."""
        trained = self.trained(params, z)

        def objective(t):
            return loss_fn(*self.assemble(t, params, z))

        (loss, aux), grads = jax.value_and_grad(objective, has_aux=True)(trained)
        updates, opt_state = optimizer.update(grads, opt_state, trained)
        params, z = self.assemble(optax.apply_updates(trained, updates), params, z)
        return params, z, opt_state, loss, aux
