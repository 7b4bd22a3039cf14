"""What every untrained-network method shares: a network ``g_θ``, its random input ``z``, which of them is
trained, and the check that the network maps ``z`` to an image of the problem's shape.

Fields: ``net`` (a Flax module mapping ``(1, h, w, input_depth)`` to ``(1, H, W, C)``; by default the class's
``default_net`` from :mod:`jaxreg.nets`, the official DIP ``skip`` network), ``input_depth`` (32; ``None``: the
image's channels), ``input_kind`` and ``input_scale`` (``z ~ U[0, input_scale)``, 0.1, as in the official DIP code,
``get_noise(…, 'noise', var=1/10)``; ``"normal"``: ``N(0, 1)·input_scale``; ``"meshgrid"``: the 2-channel grid).
The seed is ``(H, W)`` unless the network has an ``upsampling_factor()`` ``f`` (the Deep Decoder): then ``(H/f, W/f)``.

**What is trained** (``trains``):

* ``"weights"`` — every network parameter θ, with ``z`` fixed (DIP; Ulyanov et al. 2018);
* ``"seed-bn"`` — the seed ``z`` and the BatchNorm affine parameters θ_BN only; the convolution weights and
  biases stay *exactly* at their random initialisation (the Deep Random Projector; Li, Wang, Zhuang & Sun,
  CVPR 2023): ``min_{z, θ_BN} ℓ(y, A g_θ(z))``.  Only the trained leaves are differentiated and
  updated; the frozen ones are passed through as the same arrays (:func:`jaxreg.nets.replace`).

:meth:`NetworkMethod.network_step` is the one optimiser step every method takes, whatever is trained.
Used by DIP and its variants (:mod:`jaxreg.methods.dip`), DRP (:mod:`jaxreg.methods.drp`), DIP-ℓ0
(:mod:`jaxreg.methods.dip_l0`) and NGR (:mod:`jaxreg.methods.ngr`).
"""

from __future__ import annotations

from typing import ClassVar

import jax
import optax

from .._pytree import pytree_dataclass, static
from .base import Method

TRAINS = ("weights", "seed-bn")
INPUT_KINDS = ("uniform", "normal", "meshgrid")


def has_dropout(net) -> bool:
    """True when ``net`` has a dropout keep-probability below 1 (its image is then the deterministic pass)."""
    return float(getattr(net, "p_keep", 1.0)) < 1.0


@pytree_dataclass
class NetworkMethod(Method):
    """Base of methods that fit an untrained network with a fixed random input to an image."""

    net: object = static(default=None, metadata={"help": "a Flax module; default: the official skip network"})
    input_depth: int | None = static(default=32, metadata={"help": "channels of z (None: the image's)"})
    input_scale: float = static(default=0.1)
    input_kind: str = static(default="uniform", metadata={"help": "uniform, normal or meshgrid"})
    trains: str = static(default="weights", metadata={"help": "weights (DIP) or seed-bn (DRP: z and BatchNorm)"})

    default_net: ClassVar[str] = "Skip"  # the jaxreg.nets class used when ``net`` is None
    sure_eps_scale: ClassVar[float] = 0.3  # SURE's step ε / σ: jaxreg.selection.NETWORK_EPS_SCALE
    # a criterion's companion runs are stepped one after the other (lax.map): a batch of different network
    # weights becomes a grouped convolution that XLA:CPU runs slowly
    criteria_group_mode: ClassVar[str] = "map"
    image_ranks: ClassVar[tuple] = (3,)  # (H, W, C); NGR also takes video (T, H, W, C)

    def validate(self, problem):
        super().validate(problem)
        if len(problem.image_shape) not in self.image_ranks:
            kinds = " or ".join({3: "(H, W, C)", 4: "(T, H, W, C)"}[r] for r in self.image_ranks)
            raise ValueError(f"{self.name}: images must be {kinds}, got image shape {problem.image_shape}")
        if self.input_depth is not None and int(self.input_depth) < 1:
            raise ValueError(f"{self.name}: input_depth must be >= 1, got {self.input_depth}")
        if self.trains not in TRAINS:
            raise ValueError(f"{self.name}: trains must be one of {TRAINS}, got {self.trains!r}")
        if self.input_kind not in INPUT_KINDS:
            raise ValueError(f"{self.name}: input_kind must be one of {INPUT_KINDS}, got {self.input_kind!r}")
        if self.net is not None and not hasattr(self.net, "apply"):
            raise ValueError(f"{self.name}: net must be a Flax module, got {type(self.net).__name__}")

    def network(self, channels: int):
        """The Flax module: ``net``, or ``default_net`` with ``channels`` outputs."""
        if self.net is not None:
            return self.net
        from .. import nets
        return getattr(nets, self.default_net)(out_channels=channels)

    def draw_input(self, key, channels: int, size, net=None):
        """The seed ``z`` of shape ``(1, h, w, depth)`` for an ``(H, W)`` image (module docstring)."""
        from .. import nets
        h, w = size
        f = int(net.upsampling_factor()) if hasattr(net, "upsampling_factor") else 1
        if h % f or w % f:
            raise ValueError(f"{self.name}: the network upsamples its seed {f}x, so H and W must be multiples of {f}; "
                             f"got {h}x{w}")
        size = (h // f, w // f)
        if self.input_kind == "meshgrid":
            return nets.meshgrid(size)
        draw = nets.uniform_noise if self.input_kind == "uniform" else nets.normal_noise
        return draw(key, int(self.input_depth or self.seed_channels(channels)), size, scale=self.input_scale)

    def seed_channels(self, channels: int) -> int:
        """Channels of ``z`` when ``input_depth`` is None: the image's (the Deep Decoder: its first width)."""
        return channels

    def init_network(self, k_param, k_z, problem):
        """``(params, z, x)``: parameters initialised from ``k_param``, the input ``z`` drawn from ``k_z``
        (:meth:`draw_input`) and the first image ``x = g_θ(z)`` (``(H, W, C)``; the deterministic pass of a
        dropout network)."""
        h, w, c = problem.image_shape
        net = self.network(c)
        z = self.draw_input(k_z, c, (h, w), net)
        params = net.init(k_param, z)
        out = net.apply(params, z, deterministic=True) if has_dropout(net) else net.apply(params, z)
        if out.shape != (1, h, w, c):
            raise ValueError(f"{self.name}: the network maps {z.shape} to {out.shape}; the image is (1, {h}, {w}, {c})")
        return params, z, out[0]

    # -- what is trained ------------------------------------------------------------------------------
    def trained(self, params, z):
        """The variables the optimiser updates: ``params`` (``trains="weights"``) or ``{"bn": θ_BN, "z": z}``."""
        if self.trains == "weights":
            return params
        from ..nets import select, trainable_mask
        return {"bn": select(params, trainable_mask(params)), "z": z}

    def assemble(self, trained, params, z):
        """``(params, z)`` with the trained variables put back (frozen leaves are the same arrays)."""
        if self.trains == "weights":
            return trained, z
        from ..nets import replace
        return replace(params, trained["bn"]), trained["z"]

    def init_optimizer(self, optimizer, params, z):
        return optimizer.init(self.trained(params, z))

    def network_step(self, optimizer, loss_fn, params, z, opt_state):
        """One optimiser step on the trained variables of ``loss_fn(params, z) -> (loss, aux)``.

        Returns ``(params, z, opt_state, loss, aux)``; ``loss`` and ``aux`` are those of the pre-step variables.
        """
        trained = self.trained(params, z)

        def objective(t):
            return loss_fn(*self.assemble(t, params, z))

        (loss, aux), grads = jax.value_and_grad(objective, has_aux=True)(trained)
        updates, opt_state = optimizer.update(grads, opt_state, trained)
        params, z = self.assemble(optax.apply_updates(trained, updates), params, z)
        return params, z, opt_state, loss, aux
