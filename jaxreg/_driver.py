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
from jax.sharding import NamedSharding, PartitionSpec

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
    """Whether every entry of every float leaf is finite: one summing pass per leaf (``Σ 0·x`` is NaN exactly
    when some entry is NaN or ±Inf, and cannot overflow), which XLA:CPU vectorises where a reduction of
    ``isfinite``'s booleans is not."""
    leaves = [jnp.isfinite(jnp.sum(jnp.zeros((), x.dtype) * x)) for x in map(jnp.asarray, jax.tree_util.tree_leaves(tree))
              if jnp.issubdtype(x.dtype, jnp.inexact)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def _relative_change(new, old):
    num = jnp.sqrt(jnp.sum(jnp.square(new - old)))
    return num / jnp.maximum(jnp.sqrt(jnp.sum(jnp.square(new))), jnp.finfo(new.dtype).tiny)


def _only_if(pred, fn, *args):
    """``fn(*args)`` where ``pred``, else the blank record of the same structure (NaN, 0 for integers)."""
    return jax.lax.cond(pred, fn, lambda *_: _blank(jax.eval_shape(fn, *args)), *args)


def _with(method, params):
    return method.replace(**params) if params else method


def _group_apply(plan, fn, *trees):
    """``fn`` over the leading (companion) axis: ``vmap`` or ``lax.map`` (``plan.group_mode``)."""
    if plan.group_mode == "vmap":
        return jax.vmap(fn)(*trees)
    return jax.lax.map(lambda args: fn(*args), trees)


def _pushed(m, state):
    """What ES-WMV's window holds: the method's raw iterate, or its output when that is the iterate."""
    it = m.iterate(state)
    return m.output(state) if it is None else it


def _parts(problem, plan):
    """``(base problem, companion problems or None, criteria data or None)`` of the driver's problem argument
    (with a plan that records criteria it is ``{"base", "companions", "data"}``, from :func:`grouped_problem`)."""
    if plan is None or not plan.grouped:
        return problem, None, None
    return problem["base"], problem["companions"], problem["data"]


def grouped_problem(plan, problem, key):
    """The driver's problem argument for a plan that records criteria: the base problem as given, its
    companions (``y + εb``, the folds …) stacked on a leading axis (None when no criterion needs one: the exact
    SURE of a linear filter) and the criteria's data (eager; ``key`` draws the probes and splits)."""
    group, data = plan.build(problem, key)
    companions = None if not sum(plan.sizes) else jax.tree_util.tree_map(lambda a: a[1:], group)
    return {"base": problem, "companions": companions, "data": data}


def init_one(method, params, key, problem, *, plan=None):
    """Initial carry of one run (with a plan that records criteria, the companion runs beside it, on a leading
    axis, all from the same key)."""
    m = _with(method, params)
    base_problem, companions, _ = _parts(problem, plan)
    carry = {"iteration": jnp.asarray(0, jnp.int32), "status": jnp.asarray(RUNNING, jnp.int32),
             "state": m.init(key, base_problem)}
    if companions is not None:
        carry["companions"] = _group_apply(plan, lambda p: m.init(key, p), companions)
    if plan is not None and plan.select is not None:
        carry["select"] = plan.select_init(m.output(carry["state"]), _pushed(m, carry["state"]))
    return carry


def _metric_values(image, reference, names, data_range):
    out = {}
    if "psnr" in names:
        out["psnr"] = _metrics.psnr(image, reference, data_range=data_range)
    if "ssim" in names:
        out["ssim"] = _metrics.ssim(image, reference, data_range=data_range)
    return out


def chunk_one(carry, method, params, problem, reference, num_iters, tol, data_range, *, length, metric_names,
              plan=None, metrics_every=1, until_stopped=False):
    """Run ``length`` iterations of one run from ``carry``; returns the new carry and per-iteration records.

    With a :class:`jaxreg.selection.Plan` that records criteria, the carry holds the companion runs beside the
    run (``carry["companions"]``, on a leading axis, stepped with it) and the criteria are recorded every
    iteration; ``plan.select`` (a criterion or ES-WMV: the one stopping-and-selection component of every method)
    keeps an output and stops the run.

    ``metrics_every = k > 1`` computes the reference metrics (PSNR, SSIM) only after every k-th iteration of the
    chunk (NaN in between): under ``vmap`` a metric is computed for every grid point every iteration, which was
    most of the cost of a fast method's sweep.  ``length`` is a multiple of ``k``.

    ``until_stopped`` runs the chunk as a ``while_loop`` that ends when the run stops (:func:`_while_records`):
    for a run that is not under ``vmap`` (one solve, or a grid point under ``lax.map``).  Otherwise a ``scan``
    of ``length`` iterations, each a no-op (``lax.cond``) once the run has stopped.
    """
    m = _with(method, params)
    base_problem, companions, data = _parts(problem, plan)
    with_companions = companions is not None

    def cast(new, old):
        return jax.tree_util.tree_map(lambda n, o: jnp.asarray(n, dtype=jnp.asarray(o).dtype), new, old)

    def advance(states, iteration):
        state, comps = states
        new = cast(m.step(state, base_problem), state)
        # the output is checked (cheap); a NaN elsewhere in the state reaches it within a step
        finite = _all_finite(m.output(new))
        if with_companions:
            new_comps = _group_apply(plan, lambda s, p: cast(m.step(s, p), s), comps, companions)
            finite = finite & _all_finite(_group_apply(plan, m.output, new_comps))
        conv = jnp.asarray(m.converged(new, base_problem), bool)
        # the relative-change test starts at the second step: ADMM-type methods may leave x unchanged
        # in their first step (dual variables start at 0), which is not convergence
        conv = conv | ((tol > 0) & (iteration > 0) & (_relative_change(m.output(new), m.output(state)) <= tol))
        status = jnp.where(finite, jnp.where(conv, Status.CONVERGED, RUNNING), Status.NONFINITE)
        new_states = (new, new_comps) if with_companions else (new, comps)
        kept = jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new_states, states)
        return kept, status.astype(jnp.int32)

    def step(c):
        """One iteration: the new carry, its records (no reference metrics), the shown and the current image."""
        active = (c["status"] == RUNNING) & (c["iteration"] < num_iters)
        states = (c["state"], c.get("companions"))
        (state, comps), status = jax.lax.cond(active, advance, lambda s, i: (s, c["status"]), states,
                                              c["iteration"])
        accepted = active & (status != Status.NONFINITE)  # a rejected (non-finite) step is not counted
        iteration = c["iteration"] + accepted.astype(jnp.int32)
        new_c = {"state": state, "iteration": iteration, "status": status}
        if with_companions:
            new_c["companions"] = comps
        record = dict(m.diagnostics(state, base_problem))
        current = m.output(state)
        selected = None
        values = {}
        if plan is not None and plan.grouped:
            outs = _group_apply(plan, m.output, comps) if with_companions else None
            values = plan.scores_of(base_problem, current, outs, data, method=m)
            record.update(values)
        if plan is not None and plan.select is not None:
            sel, value, stop = plan.select_update(c["select"], accepted=accepted, iteration=iteration,
                                                  output=current, iterate=_pushed(m, state), values=values,
                                                  delay=m.stopping_delay())
            new_c["select"] = sel
            record[plan.select] = value
            record["selected_iteration"] = sel["iteration"]
            stop = stop & (status == RUNNING)
            new_c["status"] = jnp.where(stop, jnp.asarray(Status.CONVERGED, jnp.int32), status)
            selected = sel["output"]
        return new_c, record, current, selected, active

    def metrics(current, selected):
        shown = current if selected is None else selected
        out = _metric_values(shown, reference, metric_names, data_range)
        if selected is not None:  # a stopping rule selects: the trajectory beside the kept image
            values = _metric_values(current, reference, metric_names, data_range)
            out.update({f"{k}_iterate": v for k, v in values.items()})
        return out

    if until_stopped:
        return _while_records(step, metrics if metric_names else None, carry, length, num_iters,
                              max(1, int(metrics_every)))

    def body(c, _):
        new_c, record, current, selected, active = step(c)
        if metric_names:
            record.update(metrics(current, selected))
        return new_c, record

    if not metric_names or metrics_every <= 1:
        return jax.lax.scan(body, carry, None, length=length)

    k = int(metrics_every)

    def block(c, _):
        def plain(cc, _):
            new_c, record, current, selected, active = step(cc)
            return new_c, record
        c, records = jax.lax.scan(plain, c, None, length=k - 1)
        new_c, record, current, selected, active = step(c)
        last = metrics(current, selected)
        records = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[None]]), records, record)
        nan = jax.tree_util.tree_map(lambda v: jnp.concatenate([jnp.full((k - 1,), jnp.nan, v.dtype), v[None]]),
                                     last)
        records.update(nan)
        return new_c, records

    carry, records = jax.lax.scan(block, carry, None, length=length // k)
    return carry, jax.tree_util.tree_map(lambda a: a.reshape((length,) + a.shape[2:]), records)


def _blank(shapes):
    return jax.tree_util.tree_map(
        lambda s: jnp.full(s.shape, jnp.nan if jnp.issubdtype(s.dtype, jnp.inexact) else 0, s.dtype), shapes)


def _while_records(step, metrics, carry, length, num_iters, metrics_every):
    """The chunk as a ``lax.while_loop`` that ends as soon as the run stops: records go into buffers of
    ``length`` rows filled beforehand with the blank record (NaN, 0 for integers), the record of an iteration
    never performed.  Under ``lax.map`` (one grid point at a time) a point that stops early then costs nothing
    for the rest of the chunk, where a ``scan`` of no-op iterations still copied its state every iteration.
    Reference metrics are computed after every ``metrics_every``-th iteration of the chunk."""

    def one(c, i):
        new_c, record, current, selected, active = step(c)
        if metrics is not None:
            every = (i + 1) % metrics_every == 0 if metrics_every > 1 else True
            record.update(_only_if(active & every, metrics, current, selected) if metrics_every > 1
                          else metrics(current, selected))
        return new_c, record

    shapes = jax.eval_shape(one, carry, jnp.asarray(0, jnp.int32))[1]
    buffers = jax.tree_util.tree_map(lambda s: jnp.broadcast_to(s, (length,) + s.shape), _blank(shapes))

    def running(state):
        i, c, _ = state
        return (i < length) & (c["status"] == RUNNING) & (c["iteration"] < num_iters)

    def body(state):
        i, c, bufs = state
        c, record = one(c, i)
        bufs = jax.tree_util.tree_map(lambda b, r: jax.lax.dynamic_update_index_in_dim(b, r, i, 0), bufs, record)
        return i + 1, c, bufs

    _, carry, records = jax.lax.while_loop(running, body, (jnp.asarray(0, jnp.int32), carry, buffers))
    return carry, records


# vmap specs: for each batch level, the in_axes of (init_one args) and (chunk_one dynamic args)
_INIT_AXES = {"grid": (None, 0, None, None), "seed": (None, None, 0, None), "image": (None, None, None, 0)}
_CHUNK_AXES = {"grid": (0, None, 0, None, None, None, None, None),
               "seed": (0, None, None, None, None, None, None, None),
               "image": (0, None, None, 0, 0, None, None, None)}


STRATEGIES = ("vmap", "map")


def _mapped(fn, in_axes, batch_size):
    """``fn`` over the leading axis of the arguments whose ``in_axes`` is 0, one point after another inside the
    compiled program (``lax.map``; with ``batch_size``, that many points at a time under ``vmap``)."""
    mapped = [i for i, a in enumerate(in_axes) if a == 0]

    def g(*args):
        def one(xs):
            full = list(args)
            for i, x in zip(mapped, xs):
                full[i] = x
            return fn(*full)
        return jax.lax.map(one, tuple(args[i] for i in mapped), batch_size=batch_size)

    return g


def _batched(fn, levels, axes, strategy="vmap", batch_size=None):
    """``fn`` batched over ``levels`` (outermost first): every level under ``vmap``, or, with ``strategy="map"``,
    every level under ``lax.map`` (``batch_size`` applies to the grid level)."""
    for level in reversed(levels):
        if strategy == "map":
            fn = _mapped(fn, axes[level], batch_size if level == "grid" else None)
        else:
            fn = jax.vmap(fn, in_axes=axes[level])
    return fn


def _on_mesh(fn, mesh, grid_args, nargs):
    """``fn`` under ``shard_map``: the arguments at ``grid_args`` (and every output) split along the grid axis over
    ``mesh``'s devices, the others replicated; each device runs ``fn`` on its own block of grid points."""
    if mesh is None:
        return fn
    split, whole = PartitionSpec(mesh.axis_names[0]), PartitionSpec()
    specs = tuple(split if i in grid_args else whole for i in range(nargs))
    return jax.shard_map(fn, mesh=mesh, in_specs=specs, out_specs=split, check_vma=False)


@functools.lru_cache(maxsize=None)
def init_fn(levels: tuple, plan=None, strategy="vmap", batch_size=None, mesh=None):
    fn = _batched(functools.partial(init_one, plan=plan), levels, _INIT_AXES, strategy, batch_size)
    return _on_mesh(fn, mesh, (1,), 4)


@functools.lru_cache(maxsize=None)
def chunk_fn(levels: tuple, length: int, metric_names: tuple, plan=None, strategy="vmap", batch_size=None,
             mesh=None, metrics_every=1):
    # a while_loop that ends with the run, wherever the run is not under vmap (one solve; lax.map's points) and a
    # chunk has more than one iteration to skip
    fn = functools.partial(chunk_one, length=length, metric_names=metric_names, plan=plan,
                           metrics_every=metrics_every, until_stopped=(strategy == "map" or not levels) and length > 1)
    return _on_mesh(_batched(fn, levels, _CHUNK_AXES, strategy, batch_size), mesh, (0, 2), 8)


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
            v = v[np.isfinite(v)]  # runs that have stopped record NaN
            if v.size:
                parts.append(f"{name} {np.max(v) if name == 'psnr' else np.min(v):.4g}{unit}")
    return "  ".join(parts)


def place(tree, sharding):
    """Every leaf of ``tree`` on ``sharding``'s devices; works across processes (the value is the same on every
    process: it is put from host memory, PRNG keys as their key data)."""
    def put(leaf):
        if jax.dtypes.issubdtype(getattr(leaf, "dtype", None), jax.dtypes.prng_key):
            data = jax.device_put(np.asarray(jax.random.key_data(leaf)), sharding)
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
        return jax.device_put(np.asarray(leaf) if jax.process_count() > 1 else leaf, sharding)
    return jax.tree_util.tree_map(put, tree)


def fetch(tree):
    """``tree`` in host memory, whole (gathered from every process when the arrays span processes); PRNG keys
    stay keys (on this process's default device)."""
    if jax.process_count() == 1:
        return jax.device_get(tree)
    from jax.experimental import multihost_utils

    def get(leaf):
        if not isinstance(leaf, jax.Array) or leaf.is_fully_addressable:
            return jax.device_get(leaf)
        if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            data = multihost_utils.process_allgather(jax.random.key_data(leaf), tiled=True)
            return jax.random.wrap_key_data(np.asarray(data), impl=jax.random.key_impl(leaf))
        return np.asarray(multihost_utils.process_allgather(leaf, tiled=True))
    return jax.tree_util.tree_map(get, tree)


def run(problem, method, params, key, reference, *, levels, num_iters, tol, data_range, chunk_size,
        progress, mesh=None, label="jaxreg", plan=None, image_shape=None, checkpoint=None, strategy="vmap",
        batch_size=None, metrics_every=1):
    """Initialise and iterate (batched over ``levels``); returns a dict of host/device results.

    With a ``plan`` that records criteria (:mod:`jaxreg.selection`), ``problem`` is
    ``{"base": …, "companions": …, "data": …}`` from :func:`grouped_problem`.  ``checkpoint = (directory, every)`` resumes from and writes run checkpoints
    (:mod:`jaxreg.checkpoint`).  ``strategy`` (``"vmap"`` or ``"map"``) and ``batch_size`` say how the batch
    levels run; with a ``mesh`` (one axis, every process's devices) the grid axis of ``params`` — padded by the
    caller to a multiple of the device count — is split over its devices and each device runs its own points.
    Under several processes the returned carry and history are gathered on every process.
    """
    metric_names = ()
    if reference is not None:
        shape = problem.image_shape if image_shape is None else image_shape
        with_ssim = len(shape) == 3 and min(shape[:2]) >= 7  # SSIM's 7×7 window must fit
        metric_names = ("psnr", "ssim") if with_ssim else ("psnr",)
    metrics_every = max(1, int(metrics_every)) if metric_names else 1
    length = max(1, min(int(chunk_size), int(num_iters)))
    length = -(-length // metrics_every) * metrics_every  # whole blocks of metrics_every iterations
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
    if mesh is not None:
        split, whole = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0])), NamedSharding(mesh, PartitionSpec())
        method_a, params_a, key_a, problem_a = init_args
        init_args = (place(method_a, whole), place(params_a, split), place(key_a, whole), place(problem_a, whole))
        reference, scalars = place((reference, scalars), whole)
    method_a, params_a, key_a, problem_a = init_args

    init_exe, t_init = compiled(init_fn(levels, plan, strategy, batch_size, mesh), init_args)
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
    chunk_exe, t_chunk = compiled(chunk_fn(levels, length, metric_names, plan, strategy, batch_size, mesh,
                                           metrics_every), step_args)

    bar = _Progress(progress, int(num_iters), label)
    stopped = not np.any(np.asarray(fetch(carry["status"])) == RUNNING)
    bar.update(min(done, int(num_iters)))
    try:
        t0 = time.perf_counter()
        while done < num_iters and not stopped:
            carry, records = chunk_exe(carry, method_a, params_a, problem_a, reference, *scalars)
            records, status, its = fetch((records, carry["status"], carry["iteration"]))
            status = np.asarray(status)
            chunks.append(records)
            previous, done = done, done + length
            stopped = not np.any(status == RUNNING)
            performed = int(np.max(its))  # small host read, once per chunk
            bar.update(performed if stopped else min(done, num_iters), _progress_info(records),
                       total=performed if stopped else None)
            if saver is not None and (stopped or done >= num_iters or done // saver.every > previous // saver.every):
                saver.save(carry, chunks, min(done, int(num_iters)), run_s + time.perf_counter() - t0)
        jax.block_until_ready(carry)
        run_s += time.perf_counter() - t0
    finally:
        bar.close()

    if jax.process_count() > 1:
        carry = jax.tree_util.tree_map(lambda a: a if isinstance(a, jax.Array) and a.is_fully_addressable
                                       else jnp.asarray(a), fetch(carry))
    iterations = np.asarray(fetch(carry["iteration"]))
    status = np.asarray(fetch(carry["status"]))
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
