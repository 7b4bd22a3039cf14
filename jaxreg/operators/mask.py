"""The masking projection ``P_Ω x = m ⊙ x`` (self-adjoint) for inpainting."""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp

from .._checks import is_concrete
from .._pytree import pytree_dataclass, set_fields
from .base import LinearOperator


def check_mask(mask, image_shape, name: str = "mask"):
    """Validate a 0/1 mask for an image of ``image_shape``; return it as float32 broadcastable to it.

    Accepted shapes: the image's shape, its spatial shape ``(…, H, W)`` or
    ``(…, H, W, 1)`` (one mask shared by all channels).
    """
    m = mask if hasattr(mask, "dtype") else np.asarray(mask)
    shape = tuple(m.shape)
    image_shape = tuple(image_shape)
    if shape == image_shape[:-1]:
        m = m[..., None]
    elif shape not in (image_shape, image_shape[:-1] + (1,)):
        raise ValueError(
            f"{name} shape {shape} does not match the image shape {image_shape} "
            f"(expected {image_shape}, {image_shape[:-1]} or {image_shape[:-1] + (1,)})"
        )
    if is_concrete(m):
        a = np.asarray(m)
        if a.dtype != bool and not np.all((a == 0) | (a == 1)):
            bad = a[(a != 0) & (a != 1)]
            raise ValueError(f"{name} must contain only 0 and 1, found {bad.size} other values (e.g. {bad.flat[0]!r})")
        if not np.any(a):
            raise ValueError(f"{name} has no observed pixel (all zeros)")
    return jnp.asarray(m, dtype=float)  # float32, or float64 under jax_enable_x64


@pytree_dataclass(init=False)
class Mask(LinearOperator):
    """``x ↦ m ⊙ x`` with a 0/1 mask ``m``; ``m`` may be shared across channels."""

    @classmethod
    def example(cls, key, shape=(8, 8, 3)):
        """A small random instance (used by the adjoint test every operator joins)."""
        return cls((jax.random.uniform(key, tuple(shape)[:-1]) > 0.5).astype(jnp.float32).at[0, 0].set(1.0), shape)

    mask: jnp.ndarray = None

    def __init__(self, mask, in_shape):
        in_shape = tuple(in_shape)
        set_fields(self, in_shape=in_shape, mask=check_mask(mask, in_shape))

    def apply(self, x):
        return self.mask.astype(x.dtype) * x

    def adjoint(self, y):
        return self.mask.astype(y.dtype) * y
