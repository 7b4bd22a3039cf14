"""``jaxreg.solve``: run one method on one problem, the whole loop compiled."""

from __future__ import annotations

import dataclasses
import operator

import numpy as np
import jax

from . import _driver
from .checkpoint import check_args
from ._checks import as_float_array, check_nonnegative
from ._driver import Status
from .methods import Method
from .problems import Problem
from .selection import make_plan, probe_key


@dataclasses.dataclass(frozen=True)
class Result:
    """What :func:`solve` returns.

    Attributes:
      image: the final estimate (the last finite iterate if a step went non-finite).
      state: the method's final state (a pytree on the device).
      history: per-iteration arrays (NumPy) computed on the device: the method's
        diagnostics (``objective``, residuals, …) and, when a reference was
        given, ``psnr`` and ``ssim`` (``ssim`` for ``(H, W, C)`` images).
      status: a :class:`Status` (``MAX_ITERS``, ``CONVERGED`` or ``NONFINITE``).
      num_iters: iterations actually performed.
      timings: ``{"compile_s": ..., "run_s": ...}``, seconds (compile is 0 when cached).
    """

    image: jax.Array
    state: object
    history: dict
    status: Status
    num_iters: int
    timings: dict


def check_run_args(problem, method, key, num_iters, reference, tol, data_range, chunk_size):
    """Eager validation shared by ``solve`` and ``sweep``; returns the reference as an array (or None)."""
    if not isinstance(method, Method):
        raise ValueError(f"method must be a jaxreg method (see jaxreg.methods.get), got {type(method).__name__}")
    problems = problem if isinstance(problem, (list, tuple)) else [problem]
    for p in problems:
        if not isinstance(p, Problem):
            raise ValueError(f"problem must be a jaxreg.problems problem, got {type(p).__name__}")
        method.validate(p)
    if key is None or not (jax.dtypes.issubdtype(getattr(key, "dtype", None), jax.dtypes.prng_key)
                           or (getattr(key, "shape", None) == (2,) and str(key.dtype) == "uint32")):
        raise ValueError("key must be a JAX PRNG key, e.g. jax.random.key(0)")
    try:
        n = operator.index(num_iters)
    except TypeError:
        raise ValueError(f"num_iters must be an integer, got {num_iters!r}") from None
    if n < 1:
        raise ValueError(f"num_iters must be at least 1, got {n}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    check_nonnegative(tol, "tol")
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    if reference is None:
        return None
    if isinstance(problem, (list, tuple)) and not isinstance(reference, (list, tuple)):
        raise ValueError("with a list of problems, reference must be a list with one image per problem")
    refs = reference if isinstance(reference, (list, tuple)) else [reference]
    if len(refs) != len(problems):
        raise ValueError(f"got {len(refs)} references for {len(problems)} problems")
    out = []
    for p, r in zip(problems, refs):
        r = as_float_array(r, "reference", ranks=(len(p.image_shape),))
        if tuple(r.shape) != tuple(p.image_shape):
            raise ValueError(f"reference shape {tuple(r.shape)} differs from the image shape {tuple(p.image_shape)}")
        out.append(r)
    return out if isinstance(reference, (list, tuple)) else out[0]


def solve(problem: Problem, method: Method, *, key, num_iters: int, reference=None, tol: float = 0.0,
          data_range: float = 1.0, chunk_size: int = 50, progress: bool | None = None, criteria=(),
          checkpoint=None, checkpoint_every: int = 100) -> Result:
    """Run ``method`` on ``problem`` for at most ``num_iters`` outer iterations.

    The loop runs compiled (``lax.scan`` chunks of ``chunk_size`` iterations in
    ``jit``); the host only launches chunks and updates the progress bar.

    Args:
      problem: a :mod:`jaxreg.problems` instance.
      method: a config from :func:`jaxreg.methods.get`.
      key: PRNG key for the method's randomness (network init, inputs, …).
      num_iters: maximum number of outer iterations.
      reference: optional clean image; adds ``psnr``/``ssim`` to the history (oracle figures only).
      tol: if > 0, also stop (``CONVERGED``) when ``‖x_k − x_{k−1}‖ ≤ tol ‖x_k‖``.
      data_range: range of the metrics in the history.
      chunk_size: iterations per compiled chunk (progress granularity).
      progress: show a progress bar (default: when stderr is a terminal).
      criteria: names (or :mod:`jaxreg.selection` instances) of no-reference estimates of the output's
        per-entry MSE to record in ``history[name]`` every iteration: ``"sure"``, ``"gsure"``, ``"psure"``,
        ``"holdout"``, ``"j-invariance"``.  A method whose ``stopping`` is one of these names adds it and
        returns the output with the lowest estimate (``history["selected_iteration"]`` says which).
      checkpoint: a directory for run checkpoints (:mod:`jaxreg.checkpoint`): the whole state is written there
        at the first chunk boundary after every ``checkpoint_every`` iterations and at the end, and a call
        with the same arguments resumes from it (bit for bit the uninterrupted result); a directory holding
        another run's checkpoints is a ``ValueError`` naming what differs.
      checkpoint_every: iterations between checkpoints (rounded up to a multiple of ``chunk_size``).

    Returns:
      A :class:`Result`.  A non-finite step stops the run with status
      ``NONFINITE`` and returns the last finite iterate; nothing raises inside
      the traced loop.
    """
    if isinstance(problem, (list, tuple)):
        raise ValueError("solve takes one problem; use jaxreg.sweep for a list of problems")
    reference = check_run_args(problem, method, key, num_iters, reference, tol, data_range, chunk_size)
    ckpt = check_args(checkpoint, checkpoint_every)
    plan = make_plan(problem, method, criteria)
    data = problem
    if plan is not None and plan.grouped:
        data = _driver.grouped_problem(plan, problem, probe_key(key))
    out = _driver.run(data, method, {}, key, reference, levels=(), num_iters=num_iters, tol=tol,
                      data_range=data_range, chunk_size=chunk_size, progress=progress, label=method.name,
                      plan=plan, image_shape=problem.image_shape, checkpoint=ckpt)
    carry = out["carry"]
    state = carry["state"]
    image = carry["select"]["output"] if plan is not None and plan.select else method.output(state)
    return Result(image=image, state=state, history=out["history"],
                  status=Status(int(out["status"])), num_iters=int(out["iterations"]), timings=out["timings"])

