"""``jaxreg.tune``: choose hyperparameters without the clean image, in one compiled sweep."""

from __future__ import annotations

import dataclasses

import numpy as np
import jax

from .problems import CompressiveSensing, Deblur, Denoise, Inpaint
from .problems.identity import IdentityProblem
from .selection import Criterion
from .sweep import SweepResult, sweep


def default_criterion(problem) -> str:
    """The criterion :func:`tune` uses when none is given: SURE when the noise level is known (projected
    GSURE for a circular blur, predicted SURE for a replicate one), hold-out for inpainting and compressive
    sensing (held-out pixels; held-out measurements), J-invariance for denoising with an unknown noise level."""
    sigma = getattr(problem, "sigma", None)
    if isinstance(problem, Denoise) and sigma:
        return "sure"
    if isinstance(problem, Deblur):
        if not sigma:
            raise ValueError("tune: deblurring needs the noise level for a no-reference criterion: "
                             "Deblur(..., sigma=σ)")
        return "sure" if problem.boundary == "circular" else "psure"
    if isinstance(problem, (Inpaint, CompressiveSensing)):
        return "holdout"
    if isinstance(problem, IdentityProblem):
        return "j-invariance"
    raise ValueError(f"tune: no no-reference criterion for {type(problem).__name__}; pass criterion=")


@dataclasses.dataclass(frozen=True)
class TuneResult:
    """What :func:`tune` returns.

    Attributes:
      params: the chosen hyperparameters ``{name: value}``.
      image: the output at the chosen point (the run on all the data).
      criterion: the criterion's name.
      values: the criterion per grid point, ``(G,)`` (an estimated per-entry MSE: lower is better).
      grid: the grid points, ``{name: (G,)}``.
      index: the chosen grid point.
      sweep: the full :class:`jaxreg.SweepResult` (histories, images, timings).
    """

    params: dict
    image: jax.Array
    criterion: str
    values: np.ndarray
    grid: dict
    index: int
    sweep: SweepResult


def tune(problem, method, grid: dict, *, key, num_iters: int, criterion=None, **kwargs) -> TuneResult:
    """Run ``method`` over ``grid`` with a no-reference criterion and return the point it prefers.

    ``criterion`` is a name or a :mod:`jaxreg.selection` instance; by default :func:`default_criterion`
    picks it from the problem.  Other keyword arguments go to :func:`jaxreg.sweep` (``mode``,
    ``reference`` for oracle curves beside the criterion, ``chunk_size``, ``progress``, ...).
    """
    criterion = default_criterion(problem) if criterion is None else criterion
    name = criterion.name if isinstance(criterion, Criterion) else criterion
    result = sweep(problem, method, grid, key=key, num_iters=num_iters, criteria=(criterion,), **kwargs)
    best = result.best(name)
    return TuneResult(params=best.params, image=best.image, criterion=name, values=result.scores(name),
                      grid=result.params, index=best.index, sweep=result)


__all__ = ["TuneResult", "default_criterion", "tune"]
