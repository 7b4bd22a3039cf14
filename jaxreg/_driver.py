"""The compiled iteration loop shared by :func:`jaxreg.solve` and :func:`jaxreg.sweep`.

One *chunk* is a ``lax.scan`` of ``length`` outer iterations inside ``jit``.
Each iteration is a no-op (``lax.cond``) once the run has stopped, so chunks
have one fixed length and are compiled once; the host launches chunks until
every run has stopped or ``num_iters`` is reached, updating a progress bar in
between.  Per-iteration diagnostics and metrics are computed on the device and
returned as the scan's outputs.

Compiled executables are cached by (function, argument structure, shapes,
dtypes, shardings), so repeated calls with new hyperparameter *values* reuse
them; the time spent lowering and compiling is reported separately from the
time spent running.
"""

from __future__ import annotations

import enum
import functools
import sys
import time
from collections import OrderedDict

import numpy as np
import jax
import jax.numpy as jnp

from . import metrics as _metrics

RUNNING = -1


class Status(enum.IntEnum):
    """How a run ended (never an exception inside traced code)."""

    MAX_ITERS = 0  #: ran ``num_iters`` iterations
    CONVERGED = 1  #: the method's (or the ``tol``) stopping test passed
    NONFINITE = 2  #: a step produced NaN/Inf; the last finite iterate is returned


# ------------------------------------------------------------------------------------------------
# traced pieces
# ------------------------------------------------------------------------------------------------
def _all_finite(tree):
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)
              if jnp.issubdtype(jnp.asarray(x).dtype, jnp.inexact)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def _relative_change(new, old):
    num = jnp.sqrt(jnp.sum(jnp.square(new - old)))
    return num / jnp.maximum(jnp.sqrt(jnp.sum(jnp.square(new))), jnp.finfo(new.dtype).tiny)


def _with(method, params):
    return method.replace(**params) if params else method


def _group_apply(plan, fn, *trees):
    """``fn`` over the leading (base + companions) axis: ``vmap`` or ``lax.map`` (``plan.group_mode``)."""
    if plan.group_mode == "vmap":
        return jax.vmap(fn)(*trees)
    return jax.lax.map(lambda args: fn(*args), trees)


def _base(tree):
    return jax.tree_util.tree_map(lambda a: a[0], tree)


def _pushed(m, state):
    """What ES-WMV's window holds: the method's raw iterate, or its output when that is the iterate."""
    it = m.iterate(state)
    return m.output(state) if it is None else it


def init_one(method, params, key, problem, *, plan=None):
    """Initial carry of one run (with a plan that records criteria: the base run and its companions, all from
    the same key, on a leading axis)."""
    m = _with(method, params)
    carry = {"iteration": jnp.asarray(0, jnp.int32), "status": jnp.asarray(RUNNING, jnp.int32)}
    if plan is None or not plan.grouped:
        carry["state"] = m.init(key, problem)
        base = carry["state"]
    else:
        carry["state"] = _group_apply(plan, lambda p: m.init(key, p), problem["group"])
        base = _base(carry["state"])
    if plan is not None and plan.select is not None:
        carry["select"] = plan.select_init(m.output(base), _pushed(m, base))
    return carry


def _metric_values(image, reference, names, data_range):
    out = {}
    if "psnr" in names:
        out["psnr"] = _metrics.psnr(image, reference, data_range=data_range)
    if "ssim" in names:
        out["ssim"] = _metrics.ssim(image, reference, data_range=data_range)
    return out


def chunk_one(carry, method, params, problem, reference, num_iters, tol, data_range, *, length, metric_names,
              plan=None):
    """Run ``length`` iterations of one run from ``carry``; returns the new carry and per-iteration records.

    With a :class:`jaxreg.selection.Plan` that records criteria, the state holds the base run and its companion
    runs on a leading axis (stepped together) and the criteria are recorded every iteration; ``plan.select``
    (a criterion or ES-WMV: the one stopping-and-selection component of every method) keeps a base output and
    stops the run.
    """
    m = _with(method, params)
    grouped = plan is not None and plan.grouped
    if not grouped:
        base_problem, group, data = problem, None, None
    else:
        group, data = problem["group"], problem["data"]
        base_problem = _base(group)

    def cast(new, old):
        return jax.tree_util.tree_map(lambda n, o: jnp.asarray(n, dtype=jnp.asarray(o).dtype), new, old)

    def advance(state, iteration):
        if not grouped:
            new = cast(m.step(state, problem), state)
            base_new, base_old = new, state
            finite = _all_finite(m.output(new))
        else:
            new = _group_apply(plan, lambda s, p: cast(m.step(s, p), s), state, group)
            base_new, base_old = _base(new), _base(state)
            finite = _all_finite(_group_apply(plan, m.output, new))
        # the output is checked (cheap); a NaN elsewhere in the state reaches it within a step
        conv = jnp.asarray(m.converged(base_new, base_problem), bool)
        # the relative-change test starts at the second step: ADMM-type methods may leave x unchanged
        # in their first step (dual variables start at 0), which is not convergence
        conv = conv | ((tol > 0) & (iteration > 0)
                       & (_relative_change(m.output(base_new), m.output(base_old)) <= tol))
        status = jnp.where(finite, jnp.where(conv, Status.CONVERGED, RUNNING), Status.NONFINITE)
        kept = jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, state)
        return kept, status.astype(jnp.int32)

    def body(c, _):
        active = (c["status"] == RUNNING) & (c["iteration"] < num_iters)
        state, status = jax.lax.cond(active, advance, lambda s, i: (s, c["status"]), c["state"], c["iteration"])
        accepted = active & (status != Status.NONFINITE)  # a rejected (non-finite) step is not counted
        iteration = c["iteration"] + accepted.astype(jnp.int32)
        new_c = {"state": state, "iteration": iteration, "status": status}
        base_state = _base(state) if grouped else state
        record = dict(m.diagnostics(base_state, base_problem))
        current = m.output(base_state)
        selected = None
        values = {}
        if grouped:
            values = plan.scores(base_problem, _group_apply(plan, m.output, state), data)
            record.update(values)
        if plan is not None and plan.select is not None:
            sel, value, stop = plan.select_update(c["select"], accepted=accepted, iteration=iteration,
                                                  output=current, iterate=_pushed(m, base_state), values=values,
                                                  delay=m.stopping_delay())
            new_c["select"] = sel
            record[plan.select] = value
            record["selected_iteration"] = sel["iteration"]
            stop = stop & (status == RUNNING)
            new_c["status"] = jnp.where(stop, jnp.asarray(Status.CONVERGED, jnp.int32), status)
            selected = sel["output"]
        if metric_names:
            shown = current if selected is None else selected
            record.update(_metric_values(shown, reference, metric_names, data_range))
            if selected is not None:  # a stopping rule selects: the trajectory beside the kept image
                values = _metric_values(current, reference, metric_names, data_range)
                record.update({f"{k}_iterate": v for k, v in values.items()})
        return new_c, record

    return jax.lax.scan(body, carry, None, length=length)


# vmap specs: for each batch level, the in_axes of (init_one args) and (chunk_one dynamic args)
_INIT_AXES = {"grid": (None, 0, None, None), "seed": (None, None, 0, None), "image": (None, None, None, 0)}
_CHUNK_AXES = {"grid": (0, None, 0, None, None, None, None, None),
               "seed": (0, None, None, None, None, None, None, None),
               "image": (0, None, None, 0, 0, None, None, None)}


def _batched(fn, levels, axes):
    for level in reversed(levels):
        fn = jax.vmap(fn, in_axes=axes[level])
    return fn


@functools.lru_cache(maxsize=None)
def init_fn(levels: tuple, plan=None):
    return _batched(functools.partial(init_one, plan=plan), levels, _INIT_AXES)


@functools.lru_cache(maxsize=None)
def chunk_fn(levels: tuple, length: int, metric_names: tuple, plan=None):
    fn = functools.partial(chunk_one, length=length, metric_names=metric_names, plan=plan)
    return _batched(fn, levels, _CHUNK_AXES)


# ------------------------------------------------------------------------------------------------
# compilation cache
# ------------------------------------------------------------------------------------------------
_COMPILED: OrderedDict = OrderedDict()
_MAX_COMPILED = 64
trace_count = {"compiles": 0}


def _signature(args):
    leaves, treedef = jax.tree_util.tree_flatten(args)
    sig = tuple((tuple(x.shape), str(x.dtype), bool(getattr(x, "weak_type", False)),
                 getattr(x, "sharding", None)) for x in leaves)
    return treedef, sig


def compiled(fn, args):
    """``(executable, compile_seconds)`` for ``jit(fn)`` on ``args``; seconds is 0 on a cache hit."""
    key = (fn,) + _signature(args)
    exe = _COMPILED.get(key)
    if exe is not None:
        _COMPILED.move_to_end(key)
        return exe, 0.0
    t0 = time.perf_counter()
    exe = jax.jit(fn).lower(*args).compile()
    seconds = time.perf_counter() - t0
    trace_count["compiles"] += 1
    _COMPILED[key] = exe
    if len(_COMPILED) > _MAX_COMPILED:
        _COMPILED.popitem(last=False)
    return exe, seconds


def as_arrays(tree):
    """Every leaf as a JAX array (Python scalars become weakly-typed arrays), so signatures are stable."""
    return jax.tree_util.tree_map(lambda x: x if isinstance(x, jax.Array) else jnp.asarray(x), tree)


# ------------------------------------------------------------------------------------------------
# the host loop
# ------------------------------------------------------------------------------------------------
class _Progress:
    """A rich progress bar updated once per chunk (silent when disabled)."""

    def __init__(self, enabled, total, label):
        self.bar = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.fields[info]}"), transient=False)
            self.task = self.bar.add_task(label, total=total, info="")
            self.bar.start()

    def update(self, done, info="", total=None):
        if self.bar is not None:
            self.bar.update(self.task, completed=done, info=info, total=total)

    def close(self):
        if self.bar is not None:
            self.bar.stop()


def _progress_info(records):
    parts = []
    for name, unit in (("psnr", " dB"), ("objective", "")):
        if name in records:
            v = np.asarray(records[name])[..., -1]
            parts.append(f"{name} {np.nanmax(v) if name == 'psnr' else np.nanmin(v):.4g}{unit}")
    return "  ".join(parts)


def run(problem, method, params, key, reference, *, levels, num_iters, tol, data_range, chunk_size,
        progress, shard=None, label="jaxreg", plan=None, image_shape=None, checkpoint=None):
    """Initialise and iterate (batched over ``levels``); returns a dict of host/device results.

    With a ``plan`` that records criteria (:mod:`jaxreg.selection`), ``problem`` is ``{"group": …, "data": …}``
    from ``plan.build``.  ``checkpoint = (directory, every)`` resumes from and writes run checkpoints
    (:mod:`jaxreg.checkpoint`).
    """
    metric_names = ()
    if reference is not None:
        shape = problem.image_shape if image_shape is None else image_shape
        with_ssim = len(shape) == 3 and min(shape[:2]) >= 7  # SSIM's 7×7 window must fit
        metric_names = ("psnr", "ssim") if with_ssim else ("psnr",)
    length = max(1, min(int(chunk_size), int(num_iters)))
    if progress is None:
        progress = sys.stderr.isatty()

    saver = None
    if checkpoint is not None:
        from .checkpoint import RunCheckpoint, fingerprint
        directory, every = checkpoint
        saver = RunCheckpoint(directory, every, fingerprint(
            method=method, params=params, problem=problem, key=key, reference=reference, num_iters=num_iters,
            chunk_size=length, tol=tol, data_range=data_range, plan=plan, levels=levels))
    init_args = as_arrays((method, params, key, problem))
    scalars = as_arrays((num_iters, float(tol), float(data_range)))
    if shard is not None:
        init_args, reference, scalars = shard(init_args, reference, scalars)
    method_a, params_a, key_a, problem_a = init_args

    init_exe, t_init = compiled(init_fn(levels, plan), init_args)
    t0 = time.perf_counter()
    carry = init_exe(*init_args)
    jax.block_until_ready(carry)
    run_s = time.perf_counter() - t0

    chunks = []
    done = resumed = 0
    if saver is not None:
        restored = saver.restore(carry)
        if restored is not None:
            carry, chunks, done, _ = restored
            resumed = min(done, int(num_iters))

    step_args = (carry, method_a, params_a, problem_a, reference) + tuple(scalars)
    chunk_exe, t_chunk = compiled(chunk_fn(levels, length, metric_names, plan), step_args)

    bar = _Progress(progress, int(num_iters), label)
    stopped = not np.any(np.asarray(carry["status"]) == RUNNING)
    bar.update(min(done, int(num_iters)))
    try:
        t0 = time.perf_counter()
        while done < num_iters and not stopped:
            carry, records = chunk_exe(carry, method_a, params_a, problem_a, reference, *scalars)
            records = jax.device_get(records)
            status = np.asarray(carry["status"])
            chunks.append(records)
            previous, done = done, done + length
            stopped = not np.any(status == RUNNING)
            performed = int(np.max(carry["iteration"]))  # small host read, once per chunk
            bar.update(performed if stopped else min(done, num_iters), _progress_info(records),
                       total=performed if stopped else None)
            if saver is not None and (stopped or done >= num_iters or done // saver.every > previous // saver.every):
                saver.save(carry, chunks, min(done, int(num_iters)), run_s + time.perf_counter() - t0)
        jax.block_until_ready(carry)
        run_s += time.perf_counter() - t0
    finally:
        bar.close()

    iterations = np.asarray(carry["iteration"])
    status = np.asarray(carry["status"])
    status = np.where(status == RUNNING, int(Status.MAX_ITERS), status)
    history = _assemble(chunks, iterations, axis=len(levels))
    return {"carry": carry, "history": history, "iterations": iterations, "status": status,
            "timings": {"compile_s": t_init + t_chunk, "run_s": run_s, **({"resumed_from": resumed} if saver else {})}}


def _assemble(chunks, iterations, axis):
    """Concatenate per-chunk records along the iteration axis; NaN past each run's last iteration."""
    if not chunks:
        return {}
    n = int(np.max(iterations))
    out = {}
    for name in chunks[0]:
        arr = np.concatenate([np.asarray(c[name]) for c in chunks], axis=axis)[..., :n]
        if arr.ndim > 1 or np.ndim(iterations) > 0:
            steps = np.arange(n).reshape((1,) * (arr.ndim - 1) + (n,))
            arr = np.where(steps < np.asarray(iterations)[..., None], arr, np.nan)
        out[name] = arr
    return out
