"""What every untrained-network method shares: a network ``g_θ``, its random input ``z``, which of them is
trained, and the check that the network maps ``z`` to an image of the problem's shape.

Fields: ``prior`` (a :class:`jaxreg.nets.prior.DeepPrior`, built by :mod:`jaxreg.priors`: network, input and
what is trained as one value, so any algorithm below takes any prior — ``methods.get("dip-l0",
prior=priors.drp("denoising"))``; when it is None the prior is described by the fields that follow), ``net`` (a Flax module mapping ``(1, h, w, input_depth)`` to ``(1, H, W, C)``; by default the class's
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

import dataclasses
from typing import ClassVar

from .._pytree import pytree_dataclass, static
from ..nets.prior import INPUT_KINDS, TRAINS, DeepPrior  # noqa: F401  (re-exported)
from .base import Method

#: the method fields that describe the default prior (set them on the prior when ``prior`` is given)
PRIOR_FIELDS = ("net", "input_depth", "input_scale", "input_kind", "trains")


def has_dropout(net) -> bool:
    """True when ``net`` has a dropout keep-probability below 1 (its image is then the deterministic pass)."""
    return float(getattr(net, "p_keep", 1.0)) < 1.0


@pytree_dataclass
class NetworkMethod(Method):
    """Base of methods that fit an untrained network with a fixed random input to an image."""

    prior: DeepPrior | None = static(default=None, metadata={
        "help": "a deep prior (jaxreg.priors: network, input, what is trained); None: the method's own fields"})
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
    # fields of a subclass that, like PRIOR_FIELDS, only describe its default prior (DRP's net_preset, …)
    own_prior_fields: ClassVar[tuple] = ()

    # -- the prior ------------------------------------------------------------------------------------
    def net_options(self) -> tuple:
        """Keyword pairs for ``default_net`` beside ``out_channels`` (the method's own network settings)."""
        return ()

    def deep_prior(self) -> DeepPrior:
        """The prior this method fits: ``prior``, or the one its own fields describe."""
        if self.prior is not None:
            return self.prior
        return DeepPrior(architecture=self.default_net, options=self.net_options(), net=self.net,
                         input_kind=self.input_kind, input_depth=self.input_depth, input_scale=self.input_scale,
                         trains=self.trains)

    def validate(self, problem):
        super().validate(problem)
        if len(problem.image_shape) not in self.image_ranks:
            kinds = " or ".join({3: "(H, W, C)", 4: "(T, H, W, C)"}[r] for r in self.image_ranks)
            raise ValueError(f"{self.name}: images must be {kinds}, got image shape {problem.image_shape}")
        if self.prior is not None:
            if not isinstance(self.prior, DeepPrior):
                raise ValueError(f"{self.name}: prior must be a jaxreg.priors.DeepPrior (e.g. priors.drp()), got "
                                 f"{type(self.prior).__name__}")
            fields = {f.name: f for f in dataclasses.fields(self)}
            moved = [n for n in PRIOR_FIELDS + self.own_prior_fields if getattr(self, n) != fields[n].default]
            if moved:
                raise ValueError(f"{self.name}: with prior= set {moved} on the prior, not on the method")
        self.deep_prior().validate(self.name)

    def network(self, channels: int):
        """The Flax module of the prior with ``channels`` outputs."""
        return self.deep_prior().network(channels)

    def draw_input(self, key, channels: int, size, net=None):
        """The seed ``z`` of shape ``(1, h, w, depth)`` for an ``(H, W)`` image (:class:`DeepPrior`)."""
        net = self.network(channels) if net is None else net
        return self.deep_prior().draw_input(key, channels, size, net, who=self.name)

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
        """The variables the optimiser updates (the prior's ``trains``)."""
        return self.deep_prior().trained(params, z)

    def assemble(self, trained, params, z):
        """``(params, z)`` with the trained variables put back (frozen leaves are the same arrays)."""
        return self.deep_prior().assemble(trained, params, z)

    def init_optimizer(self, optimizer, params, z):
        return self.deep_prior().init_optimizer(optimizer, params, z)

    def network_step(self, optimizer, loss_fn, params, z, opt_state):
        """One optimiser step on the trained variables of ``loss_fn(params, z) -> (loss, aux)``
        (:meth:`DeepPrior.fit_step`).  Returns ``(params, z, opt_state, loss, aux)``; ``loss`` and ``aux`` are
        those of the pre-step variables."""
        return self.deep_prior().fit_step(optimizer, loss_fn, params, z, opt_state)
