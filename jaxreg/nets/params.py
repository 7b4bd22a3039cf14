"""Parameter-tree helpers: counting scalars, and the BatchNorm-vs-convolution mask DRP trains with.

In every jaxreg network a convolution's parameters are ``{'kernel', 'bias'?}`` and a BatchNorm's are
``{'scale', 'bias'}`` (γ, β), so a leaf belongs to a BatchNorm exactly when its module holds no ``'kernel'``.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax


def trainable_mask(params):
    """Bools shaped like ``params``: True for BatchNorm γ/β (what DRP trains), False for convolution weights/biases.

    Use it with ``optax.masked(opt, mask)`` / ``optax.multi_transform``, or to freeze by
    ``jax.tree.map(lambda m, new, old: new if m else old, mask, new_params, params)``.
    """
    if not isinstance(params, Mapping):
        raise ValueError(f"trainable_mask: expected a parameter dict, got {type(params).__name__}")
    conv = "kernel" in params
    return {k: trainable_mask(v) if isinstance(v, Mapping) else not conv for k, v in params.items()}


def count_params(params, where=None) -> int:
    """Number of scalars in ``params``; with a bool mask ``where`` (e.g. :func:`trainable_mask`), only where True."""
    leaves = jax.tree_util.tree_leaves(params)
    if where is None:
        return int(sum(x.size for x in leaves))
    return int(sum(x.size for x, m in zip(leaves, jax.tree_util.tree_leaves(where), strict=True) if m))


def select(params, mask):
    """The sub-tree of ``params`` whose leaves are True in ``mask`` (nested dicts; empty branches dropped)."""
    out = {}
    for k, v in params.items():
        if isinstance(v, Mapping):
            sub = select(v, mask[k])
            if sub:
                out[k] = sub
        elif mask[k]:
            out[k] = v
    return out


def replace(params, part):
    """``params`` with the leaves present in ``part`` (a :func:`select` sub-tree) swapped in; every other leaf is
    the same array object, so frozen leaves stay bitwise fixed."""
    out = dict(params)
    for k, v in part.items():
        if k not in params:
            raise ValueError(f"replace: {k!r} is not in the parameter tree")
        out[k] = replace(params[k], v) if isinstance(v, Mapping) else v
    return out
