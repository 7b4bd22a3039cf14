"""What every untrained-network method shares: a network ``g_θ``, its fixed random input ``z``, and the check that
the network maps ``z`` to an image of the problem's shape.

Fields: ``net`` (a Flax module mapping ``(1, H, W, input_depth)`` to ``(1, H, W, C)``; by default the class's
``default_net`` from :mod:`jaxreg.nets`, the official DIP ``skip`` network), ``input_depth`` (32) and
``input_scale`` (``z ~ U[0, input_scale)``, 0.1), as in the official DIP code (``get_noise(…, 'noise', var=1/10)``).
Used by DIP and its variants (:mod:`jaxreg.methods.dip`) and DIP-ℓ0 (:mod:`jaxreg.methods.dip_l0`).
"""

from __future__ import annotations

from typing import ClassVar

from .._pytree import pytree_dataclass, static
from .base import Method


def has_dropout(net) -> bool:
    """True when ``net`` has a dropout keep-probability below 1 (its image is then the deterministic pass)."""
    return float(getattr(net, "p_keep", 1.0)) < 1.0


@pytree_dataclass
class NetworkMethod(Method):
    """Base of methods that fit an untrained network with a fixed random input to an image."""

    net: object = static(default=None, metadata={"help": "a Flax module; default: the official skip network"})
    input_depth: int = static(default=32)
    input_scale: float = static(default=0.1)

    default_net: ClassVar[str] = "Skip"  # the jaxreg.nets class used when ``net`` is None
    image_ranks: ClassVar[tuple] = (3,)  # (H, W, C); NGR also takes video (T, H, W, C)

    def validate(self, problem):
        super().validate(problem)
        if len(problem.image_shape) not in self.image_ranks:
            kinds = " or ".join({3: "(H, W, C)", 4: "(T, H, W, C)"}[r] for r in self.image_ranks)
            raise ValueError(f"{self.name}: images must be {kinds}, got image shape {problem.image_shape}")
        if self.input_depth is not None and int(self.input_depth) < 1:
            raise ValueError(f"{self.name}: input_depth must be >= 1, got {self.input_depth}")
        if self.net is not None and not hasattr(self.net, "apply"):
            raise ValueError(f"{self.name}: net must be a Flax module, got {type(self.net).__name__}")

    def network(self, channels: int):
        """The Flax module: ``net``, or ``default_net`` with ``channels`` outputs."""
        if self.net is not None:
            return self.net
        from .. import nets
        return getattr(nets, self.default_net)(out_channels=channels)

    def init_network(self, k_param, k_z, problem):
        """``(params, z, x)``: parameters initialised from ``k_param``, the fixed input ``z ~ U[0, input_scale)``
        drawn from ``k_z`` and the first image ``x = g_θ(z)`` (``(H, W, C)``; the deterministic pass of a dropout
        network)."""
        from ..nets import uniform_noise
        h, w, c = problem.image_shape
        net = self.network(c)
        z = uniform_noise(k_z, self.input_depth, (h, w), scale=self.input_scale)
        params = net.init(k_param, z)
        out = net.apply(params, z, deterministic=True) if has_dropout(net) else net.apply(params, z)
        if out.shape != (1, h, w, c):
            raise ValueError(f"{self.name}: the network maps {z.shape} to {out.shape}; the image is (1, {h}, {w}, {c})")
        return params, z, out[0]
