"""Weight initialisers: PyTorch's defaults or Flax's, chosen per network with ``init="torch" | "flax"``.

For a convolution kernel of shape ``(k, k, C_in, C_out)`` (HWIO) the fan-in is ``k·k·C_in``.

* ``"torch"`` — PyTorch's ``nn.Conv2d.reset_parameters``: ``kaiming_uniform_(w, a=√5)`` draws
  ``U(±gain·√(3/fan_in))`` with ``gain = √(2/(1+a²)) = √(1/3)``, i.e. ``U(±1/√fan_in)``; the bias is
  ``U(±1/√fan_in)`` too.  This is what every official DIP / DIP-ℓ0 / NGR / DRP / ALR network starts from, and
  DRP keeps its convolutions frozen at this draw, so faithful reproduction needs this distribution.
* ``"flax"`` — Flax's ``nn.Conv`` defaults: ``lecun_normal`` (truncated normal, variance ``1/fan_in``) for the
  kernel, zeros for the bias.

BatchNorm affine parameters start at ``γ = 1, β = 0`` under both schemes (as in both libraries).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

INITS = ("torch", "flax")


def check_init(init: str, owner: str) -> None:
    """Raise ``ValueError`` unless ``init`` names a known scheme."""
    if init not in INITS:
        raise ValueError(f"{owner}: init must be one of {INITS}, got {init!r}")


def fan_in(shape) -> int:
    """Fan-in of an HWIO kernel shape: every axis but the last."""
    return int(math.prod(shape[:-1]))


def torch_uniform(bound_fan_in: int | None = None):
    """``U(±1/√fan_in)``; ``fan_in`` from the shape (kernels) or given (biases, which need the kernel's)."""

    def init(key, shape, dtype=jnp.float32):
        n = bound_fan_in if bound_fan_in is not None else fan_in(shape)
        bound = 1.0 / math.sqrt(n)
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


def kernel_init(init: str):
    """Initialiser of a convolution kernel under scheme ``init``."""
    return torch_uniform() if init == "torch" else jax.nn.initializers.lecun_normal()


def bias_init(init: str, kernel_shape):
    """Initialiser of a convolution bias whose kernel has shape ``kernel_shape``."""
    return torch_uniform(fan_in(kernel_shape)) if init == "torch" else jax.nn.initializers.zeros
