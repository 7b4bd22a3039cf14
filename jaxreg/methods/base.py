"""The method protocol shared by every solver in jaxreg.

A method is an immutable pytree *config*: numeric hyperparameters are leaves
(so ``jaxreg.sweep`` can ``vmap`` over them), structural choices are static
fields.  It supplies only its math:

* ``init(key, problem) -> state``  — the starting state (a pytree);
* ``step(state, problem) -> state`` — one outer iteration;
* ``output(state) -> image``       — the current estimate;

and optionally ``diagnostics`` (per-iteration scalars such as the objective or
residuals, recorded on the device), ``iterate`` (the current iterate, when ``output``
is a selection such as an early-stopped image), ``converged`` (a traced boolean) and
``validate`` (eager checks of the problem and hyperparameters, run before
compilation).  :func:`jaxreg.solve` runs the loop.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import jax.numpy as jnp

from .._checks import is_concrete
from .._pytree import Pytree
from ..problems import Problem


class Method(Pytree):
    """Base class of method configs (subclasses are ``@pytree_dataclass`` and ``@register``-ed)."""

    name: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    problems: ClassVar[tuple] = (Problem,)
    # hyperparameters that must be >= 0 / > 0 (checked eagerly by ``validate``)
    nonnegative: ClassVar[tuple] = ()
    positive: ClassVar[tuple] = ()

    # -- protocol --------------------------------------------------------------------------------
    def init(self, key, problem):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement init")

    def step(self, state, problem):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement step")

    def output(self, state):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement output")

    def iterate(self, state):
        """The raw iterate when ``output`` is something else (DIP outputs an exponential average of its
        iterates): what the ES-WMV stopping rule's window holds.  None (the output is the iterate) by default."""
        return None

    def stopping_delay(self):
        """Iterations between the minimum of the ES-WMV variance and the output that represents it (the mean
        delay of the method's average); 0 by default."""
        return jnp.asarray(0, jnp.int32)

    def diagnostics(self, state, problem) -> dict:
        """Scalars recorded every iteration (e.g. ``{"objective": ...}``); none by default."""
        return {}

    def converged(self, state, problem):
        """Traced boolean: stop early with status ``CONVERGED``.  Never by default."""
        return jnp.asarray(False)

    # -- eager checks ------------------------------------------------------------------------------
    def validate(self, problem) -> None:
        """Raise ``ValueError`` for an unsupported problem or an out-of-range hyperparameter."""
        if not isinstance(problem, self.problems):
            allowed = ", ".join(p.__name__ for p in self.problems)
            raise ValueError(f"method {self.name!r} does not support {type(problem).__name__} (supports: {allowed})")
        for names, ok, word in ((self.nonnegative, lambda a: a >= 0, "non-negative"),
                                (self.positive, lambda a: a > 0, "positive")):
            for n in names:
                v = getattr(self, n)
                if v is not None and is_concrete(v) and not np.all(ok(np.asarray(v))):
                    raise ValueError(f"{self.name}: {n} must be {word}, got {v!r}")
        for f in dataclasses.fields(self):  # static fields declared with static(choices=...)
            choices = f.metadata.get("choices")
            if choices is not None and getattr(self, f.name) not in choices:
                raise ValueError(f"{self.name}: {f.name} must be one of {choices}, got {getattr(self, f.name)!r}")

    # -- introspection -----------------------------------------------------------------------------
    @classmethod
    def parameters(cls) -> dict:
        """``{name: (default, is_hyperparameter_leaf, help)}`` for every field."""
        out = {}
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else None
            out[f.name] = (default, not f.metadata.get("static"), f.metadata.get("help", ""))
        return out


class ClosedForm(Method):
    """Base of non-iterative methods: :meth:`compute` gives the image in ``init`` (one iteration, status
    ``CONVERGED``), so they run through ``solve``/``sweep`` like every method."""

    def compute(self, problem):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement compute")

    def init(self, key, problem):
        return {"x": self.compute(problem)}

    def step(self, state, problem):
        return state

    def output(self, state):
        return state["x"]

    def converged(self, state, problem):
        return jnp.asarray(True)
