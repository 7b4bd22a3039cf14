"""jaxreg: regularized image-restoration solvers in JAX.

Entry points: :func:`solve` (one method, one problem, the loop compiled),
:func:`sweep` (a hyperparameter grid in one vmapped, compiled call) and
:func:`tune` (a grid scored without the clean image, :mod:`jaxreg.selection`).
"""

from . import data, io, metrics, methods, nets, operators, priors, problems, regularizers, selection
from ._driver import Status
from .solve import Result, solve
from .sweep import Best, SweepResult, grid_points, sweep
from .tune import TuneResult, tune

__version__ = "0.1.0"

__all__ = ["Best", "Result", "Status", "SweepResult", "grid_points", "methods", "metrics", "nets", "operators",
           "priors", "problems", "regularizers", "selection", "solve", "sweep", "tune", "TuneResult"]
