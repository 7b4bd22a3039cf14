"""Network inputs ("seeds" / codes ``z``), always from an explicit ``key``, shaped ``(batch, H, W, channels)``.

As DIP's ``get_noise`` (``utils/common_utils.py``) and the DRP / NGR scripts:

* :func:`uniform_noise` — ``U[0, 1) · scale``; ``scale = 0.1`` is DIP's default (``noise_type='u',
  var=1/10``), used by DIP, DIP-ℓ0 and NGR (``torch.rand(...) * 0.1``).
* :func:`normal_noise` — ``N(0, 1) · scale`` (DIP's ``noise_type='n'``; DRP denoising/SR use scale 0.1).
* :func:`meshgrid` — 2 channels ``X = col/(W-1)``, ``Y = row/(H-1)`` (DIP's ``method='meshgrid'``; DRP
  inpainting).  Deterministic: no key.

``jax.random`` draws differ from ``torch.rand``'s, so these reproduce the distributions, not the numbers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _check_size(size, channels, batch, owner):
    if not (isinstance(size, (tuple, list)) and len(size) == 2 and all(isinstance(s, int) and s >= 1 for s in size)):
        raise ValueError(f"{owner}: size must be (H, W) with positive integers, got {size!r}")
    if not (isinstance(channels, int) and channels >= 1):
        raise ValueError(f"{owner}: channels must be a positive integer, got {channels!r}")
    if not (isinstance(batch, int) and batch >= 1):
        raise ValueError(f"{owner}: batch must be a positive integer, got {batch!r}")


def _check_key(key, owner):
    if not (hasattr(key, "dtype") and (jnp.issubdtype(key.dtype, jax.dtypes.prng_key) or
                                       (key.dtype == jnp.uint32 and key.shape[-1:] == (2,)))):
        raise ValueError(f"{owner}: key must be a JAX PRNG key (jax.random.key(seed)), got {key!r}")


def uniform_noise(key, channels: int, size, *, scale: float = 0.1, batch: int = 1):
    """``U[0, 1) · scale`` of shape ``(batch, H, W, channels)`` (DIP's default input with ``scale = 0.1``)."""
    _check_size(size, channels, batch, "uniform_noise")
    _check_key(key, "uniform_noise")
    return jax.random.uniform(key, (batch, *size, channels), jnp.float32) * scale


def normal_noise(key, channels: int, size, *, scale: float = 0.1, batch: int = 1):
    """``N(0, 1) · scale`` of shape ``(batch, H, W, channels)`` (DRP denoising: ``scale = 0.1``)."""
    _check_size(size, channels, batch, "normal_noise")
    _check_key(key, "normal_noise")
    return jax.random.normal(key, (batch, *size, channels), jnp.float32) * scale


def meshgrid(size, *, batch: int = 1):
    """``(batch, H, W, 2)``: channel 0 is ``X = col/(W-1)``, channel 1 is ``Y = row/(H-1)``; needs H, W ≥ 2."""
    _check_size(size, 2, batch, "meshgrid")
    h, w = size
    if h < 2 or w < 2:
        raise ValueError(f"meshgrid: H and W must be at least 2 (the grid spans [0, 1]), got {size!r}")
    x = jnp.arange(w, dtype=jnp.float32) / (w - 1)
    y = jnp.arange(h, dtype=jnp.float32) / (h - 1)
    grid = jnp.stack([jnp.broadcast_to(x[None, :], (h, w)), jnp.broadcast_to(y[:, None], (h, w))], axis=-1)
    return jnp.broadcast_to(grid, (batch, h, w, 2))
