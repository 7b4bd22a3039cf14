"""No-reference early stopping by windowed moving variance (ES-WMV; Wang, Li, Zhuang, Chen, Liang & Sun,
"Early stopping for deep image prior", TMLR 2023).

A restoration that overfits (DIP and its descendants) first settles, then drifts towards the noise; the
variance of its recent iterates has a valley near the peak quality.  With the last ``W`` iterates
``x_{t−W+1} … x_t`` (a ring buffer on the device):

    VAR_t = (1/W) Σ_i ‖x_i − x̄‖²_F,        x̄ = (1/W) Σ_i x_i

and the rule selects the iteration ``t*`` where ``VAR_t`` was smallest, and stops once ``VAR_t`` has not
improved for ``patience`` iterations.  No clean image is used.

**Which image is kept.**  Without averaging it is ``x_{t*}`` (the paper).  A method that outputs an exponential
average ``x̄_t = a x̄_{t−1} + (1 − a) x_t`` (DIP's ``ema = 0.99``) passes ``delay = round(a / (1 − a))``, the mean
delay of that filter (``Σ_k k (1 − a) aᵏ = a/(1 − a)``, 99 iterations): the average that represents the iterates
around ``t*`` is the one ``delay`` iterations later, so the rule captures ``x̄_{t* + delay}``.  Measured on three
64×64 crops at σ = 0.1 with the official DIP (F-16, astronaut, chelsea), the average *at* ``t*`` was 0.04–2.8 dB
below the best average of the run, the delayed one 0.03–0.35 dB (docs/dip.md).  If the run ends before the
capture, the latest average is kept.

Rules (``STOPPING_RULES``): ``"es-wmv"``; ``"none"`` (no early stopping); and the no-reference error
estimates of :mod:`jaxreg.selection` (``"sure"``, ``"gsure"``, ``"psure"``, ``"holdout"``, ``"j-invariance"``),
with which the output with the lowest estimate is kept.  Every rule is applied by one component, the driver's
:class:`jaxreg.selection.Plan`, for every method: a method only says what it outputs (``output``), what its
raw iterate is (``iterate``, e.g. DIP's network output beside its averaged output) and the delay of its average
(``stopping_delay``).  The functions below are ES-WMV's state and update, which the plan calls; the driver
records ``history["es-wmv"]`` (the windowed variance, ``inf`` until the window is full) and
``history["selected_iteration"]``.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..selection import CRITERIA

STOPPING_RULES = ("es-wmv", "none") + CRITERIA


def check_stopping(method, *positive_fields: str) -> None:
    """Eager checks of a method's ``stopping`` rule and its integer fields ``window``, ``patience`` (and any
    ``positive_fields``): ``ValueError`` naming the method and the field."""
    if method.stopping not in STOPPING_RULES:
        raise ValueError(f"{method.name}: stopping must be one of {STOPPING_RULES}, got {method.stopping!r}")
    for field in ("window", "patience") + positive_fields:
        if int(getattr(method, field)) < 1:
            raise ValueError(f"{method.name}: {field} must be >= 1, got {getattr(method, field)}")


def stopping_init(image, window: int) -> dict:
    """Empty state for images shaped like ``image`` (the kept image starts as ``image``)."""
    dtype = image.dtype
    minus1 = jnp.asarray(-1, jnp.int32)
    return {"buffer": jnp.zeros((window,) + image.shape, dtype), "count": jnp.asarray(0, jnp.int32),
            "best_var": jnp.asarray(jnp.inf, dtype), "best_iter": minus1, "capture_at": minus1,
            "wait": jnp.asarray(0, jnp.int32), "image": image, "var": jnp.asarray(jnp.inf, dtype)}


def ema_delay(ema):
    """Mean delay of an exponential average with weight ``ema``: ``round(ema / (1 − ema))`` iterations (traced;
    0 without averaging) — the ``stopping_delay`` of a method whose output is such an average."""
    ema = jnp.asarray(ema, jnp.float32)
    return jnp.round(ema / (1.0 - ema)).astype(jnp.int32)


def windowed_variance(buffer):
    """``(1/W) Σ_i ‖x_i − x̄‖²`` over the leading (window) axis."""
    mean = jnp.mean(buffer, axis=0)
    return jnp.sum(jnp.square(buffer - mean)) / buffer.shape[0]


def stopping_update(state: dict, iterate, candidate, delay: int = 0) -> dict:
    """Push ``iterate`` (the raw reconstruction of this iteration); when the windowed variance reaches a new
    minimum, schedule keeping ``candidate`` (what the method outputs) ``delay`` iterations later."""
    window = state["buffer"].shape[0]
    count = state["count"]
    buffer = state["buffer"].at[count % window].set(iterate)
    full = count + 1 >= window
    var = jnp.where(full, windowed_variance(buffer), jnp.inf)
    better = full & (var < state["best_var"])
    capture_at = jnp.where(better, count + delay, state["capture_at"])
    # before the window fills, the kept image follows the candidates
    keep = ~full | (count == capture_at)
    return {"buffer": buffer, "count": count + 1,
            "best_var": jnp.where(better, var, state["best_var"]),
            "best_iter": jnp.where(better, count, state["best_iter"]),
            "capture_at": capture_at,
            "wait": jnp.where(better | ~full, 0, state["wait"] + 1),
            "image": jnp.where(keep, candidate, state["image"]),
            "var": var}


def stopping_output(state: dict, latest):
    """The kept image, or ``latest`` while a capture is still pending (the run ended within ``delay``)."""
    return jnp.where(state["capture_at"] >= state["count"], latest, state["image"])


def selected_iteration(state: dict):
    """1-based iteration whose image :func:`stopping_output` returns."""
    pending = state["capture_at"] >= state["count"]
    never = state["best_iter"] < 0  # window not yet full: the kept image is the latest candidate
    return jnp.where(pending | never, state["count"], state["capture_at"] + 1)


def stopping_stop(state: dict, patience: int):
    """Traced boolean: the windowed variance has not improved for ``patience`` iterations."""
    return state["wait"] >= patience
