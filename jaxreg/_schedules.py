"""Learning-rate schedules shared by the methods and the training loops."""

from __future__ import annotations

import jax.numpy as jnp


def exponential_decay(lr, lr_end, steps):
    """``k ↦ lr · (lr_end/lr)^(min(k, steps−1)/(steps−1))``: ``lr`` at step 0, ``lr_end`` at step ``steps − 1`` and
    after.  Every argument may be traced (a swept hyperparameter); usable as an optax schedule."""
    span = jnp.maximum(jnp.asarray(steps) - 1, 1)

    def schedule(k):
        return lr * (lr_end / lr) ** (jnp.minimum(k, span) / span)

    return schedule
