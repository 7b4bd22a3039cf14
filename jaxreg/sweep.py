"""``jaxreg.sweep``: a method over a hyperparameter grid (× seeds × images) in one compiled call."""

from __future__ import annotations

import dataclasses
import itertools
from typing import NamedTuple

import numpy as np
import jax
import jax.numpy as jnp
from jax.sharding import Mesh

from . import _driver
from . import metrics as _metrics
from .checkpoint import check_args
from .selection import make_plan, probe_key
from .solve import check_run_args

HIGHER_IS_BETTER = ("psnr", "ssim")


class Best(NamedTuple):
    """The best grid point: its index, hyperparameters, image (first seed/image) and score."""

    index: int
    params: dict
    image: jax.Array
    value: float


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep` returns; every array has the grid axis first.

    Leading axes are ``(G,)``, then ``S`` if ``num_seeds`` was given, then ``B``
    if a list of problems was given: ``images`` is ``(G[, S][, B], *image_shape)``,
    ``history[name]`` is ``(G[, S][, B], T)`` (NaN after a run stopped),
    ``status`` and ``num_iters`` are ``(G[, S][, B])``, ``params[name]`` is ``(G,)``.
    """

    images: jax.Array
    params: dict
    history: dict
    status: np.ndarray
    num_iters: np.ndarray
    timings: dict
    state: object
    select: str | None = None

    def scores(self, metric: str) -> np.ndarray:
        """Value of ``history[metric]`` for the returned image per grid point, averaged over seeds and images:
        ``(G,)``.  That is the final value, or the lowest one for the criterion that selected the image."""
        if metric not in self.history:
            raise ValueError(f"no metric {metric!r} in the history; recorded: {sorted(self.history)}")
        h = self.history[metric]
        if metric == self.select:
            with np.errstate(all="ignore"):
                last = np.nanmin(np.where(np.isnan(h), np.inf, h), axis=-1)
        else:
            last = np.take_along_axis(h, np.maximum(self.num_iters - 1, 0)[..., None], axis=-1)[..., 0]
        return last.reshape(last.shape[0], -1).mean(axis=1)

    def best(self, metric: str = "psnr", *, maximize: bool | None = None) -> Best:
        """The grid point with the best ``metric`` (higher is better for psnr/ssim, lower otherwise: the
        criteria of :mod:`jaxreg.selection` are estimated errors, so ``best("sure")`` needs no reference)."""
        s = self.scores(metric)
        maximize = metric in HIGHER_IS_BETTER if maximize is None else maximize
        i = int(np.nanargmax(s) if maximize else np.nanargmin(s))
        image = self.images[i]
        while image.ndim > self.images.ndim - 1 - (self.status.ndim - 1):
            image = image[0]
        return Best(i, {k: float(v[i]) for k, v in self.params.items()}, image, float(s[i]))


def grid_points(grid: dict, mode: str = "product") -> dict:
    """Expand ``grid`` (name → 1-D values) into ``{name: (G,) array}``.

    ``"product"``: every combination, the last name varying fastest (like
    ``itertools.product``).  ``"zip"``: values taken together; all lists have one length.
    """
    if not isinstance(grid, dict) or not grid:
        raise ValueError("grid must be a non-empty dict mapping hyperparameter names to 1-D values")
    values = {}
    for name, v in grid.items():
        a = np.asarray(v)
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty 1-D sequence, got shape {a.shape}")
        if not np.all(np.isfinite(a.astype(float))):
            raise ValueError(f"grid[{name!r}] contains non-finite values")
        values[name] = a
    if mode == "product":
        combos = list(itertools.product(*values.values()))
        return {n: np.asarray([c[i] for c in combos]) for i, n in enumerate(values)}
    if mode == "zip":
        sizes = {a.size for a in values.values()}
        if len(sizes) != 1:
            raise ValueError(f"mode='zip' needs grid lists of one length, got lengths {sorted(sizes)}")
        return values
    raise ValueError(f"mode must be 'product' or 'zip', got {mode!r}")


def _is_float(values, base) -> bool:
    return np.issubdtype(values.dtype, np.floating) or np.issubdtype(np.asarray(base).dtype, np.floating)


def _stack(trees):
    first = trees[0]
    treedef = jax.tree_util.tree_structure(first)
    for t in trees[1:]:
        if jax.tree_util.tree_structure(t) != treedef:
            raise ValueError("all problems of a sweep must have the same type, shapes and settings")
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)


def _pad_to(a, n):
    reps = n - a.shape[0]
    return a if reps == 0 else jnp.concatenate([a, jnp.repeat(a[-1:], reps, axis=0)])


def _mesh(num_points):
    """A one-axis mesh over every device of every process, and the grid size padded to a multiple of the device
    count (``(None, num_points)`` on one device)."""
    devices = jax.devices()
    if len(devices) < 2:
        return None, num_points
    padded = -(-num_points // len(devices)) * len(devices)
    return Mesh(np.asarray(devices), ("grid",)), padded


STRATEGIES = ("auto", "vmap", "map")


def choose_strategy(method, problem, num_points: int, backend: str | None = None) -> tuple[str, str]:
    """The execution strategy ``"auto"`` picks, and why: ``(strategy, reason)``, from what is known before compiling.

    The rule (measurements in ``docs/sweeps.md``, ``benchmarks/sweep_vs_sequential.py``):

    * not a CPU (GPU, TPU): ``"vmap"`` — one wide program fills the accelerator;
    * CPU, a method whose state holds a network per grid point (DIP and its variants, DRP, DIP-ℓ0, NGR): ``"map"``
      — vmapping convolutions whose weights differ per point makes grouped convolutions, which XLA:CPU runs as a
      loop of small matrix products (jax-ml/jax#26568);
    * CPU, other methods: ``"map"`` as well — every point then stops at its own convergence (under ``vmap`` a
      stopped point's step is still computed until all have stopped), and the per-pixel work of these methods is
      already wide enough for the vector units; ``"vmap"`` only wins on small images (see the table in the docs).
    """
    from .methods.deep_prior import NetworkMethod
    backend = jax.default_backend() if backend is None else backend
    if backend != "cpu":
        return "vmap", f"backend {backend}: one wide vmapped program"
    if isinstance(method, NetworkMethod):
        return "map", "CPU and a network per grid point (vmapped weights make grouped convolutions)"
    return "map", "CPU: each point stops at its own convergence"


def _check_strategy(strategy, batch_size, metrics_every):
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(map(repr, STRATEGIES))}, got {strategy!r}")
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        if strategy == "vmap":
            raise ValueError("batch_size applies to strategy='map' (or 'auto'), not 'vmap'")
    if isinstance(metrics_every, bool) or not isinstance(metrics_every, (int, np.integer)) or metrics_every < 1:
        raise ValueError(f"metrics_every must be a positive integer, got {metrics_every!r}")


def sweep(problem, method, grid: dict, *, key, num_iters: int, reference=None, mode: str = "product",
          num_seeds: int | None = None, tol: float = 0.0, data_range: float = 1.0, chunk_size: int = 50,
          progress: bool | None = None, criteria=(), checkpoint=None, checkpoint_every: int = 100,
          strategy: str = "auto", batch_size: int | None = None, metrics_every: int = 1) -> "SweepResult":
    """Run ``method`` at every point of ``grid`` (× seeds × images) in one compiled program.

    Args:
      problem: a problem, or a list of problems of one type and shape (an image axis).
      method: the base config; ``grid`` overrides some of its hyperparameters (pytree leaves).
      grid: ``{name: 1-D values}``, expanded by ``mode`` (``"product"`` or ``"zip"``, see :func:`grid_points`).
      key: PRNG key; every grid point uses the same key unless ``num_seeds`` is given, in which
        case ``jax.random.split(key, num_seeds)`` adds a seed axis.
      reference: clean image (or one per problem) for ``psnr``/``ssim`` histories.
      criteria: no-reference error estimates recorded per grid point (see :func:`jaxreg.solve` and
        :mod:`jaxreg.selection`); ``result.best("sure")`` then picks a grid point without the clean image.
        The probes and splits are drawn once and shared by every grid point and seed.
      checkpoint, checkpoint_every: resume a killed sweep (the whole batched state), as in :func:`jaxreg.solve`
        (one process only).
      strategy: how the points run inside the program: ``"vmap"`` (all at once, vectorised), ``"map"`` (one after
        another, ``lax.map``; with ``batch_size``, that many at a time under ``vmap``) or ``"auto"`` (chosen by
        :func:`choose_strategy`; ``timings["strategy"]`` records the choice).  The results are the same.
      metrics_every: compute the reference metrics every k-th iteration only (the history is NaN in between; the
        final value is always recorded).
      Other arguments as in :func:`jaxreg.solve`.

    With several devices (of this process, or of every process after ``jax.distributed.initialize``) the grid
    axis is split over them (``jax.shard_map`` on a one-axis mesh; padded to a multiple of the device count):
    every process runs the same program on its devices' points and receives the whole result, equal to a
    one-process run of the same grid.
    """
    reference = check_run_args(problem, method, key, num_iters, reference, tol, data_range, chunk_size)
    ckpt = check_args(checkpoint, checkpoint_every)
    _check_strategy(strategy, batch_size, metrics_every)
    if ckpt is not None and jax.process_count() > 1:
        raise ValueError("checkpoint= is not supported across several processes; run independent shards "
                         "(`jaxreg sweep --shard i/n`), each with its own checkpoint directory")
    points = grid_points(grid, mode)
    leaves = set(method._leaf_names)
    for name in points:
        if name not in leaves:
            raise ValueError(f"{name!r} is not a hyperparameter of {method.name!r} that can be swept; "
                             f"sweepable: {', '.join(sorted(leaves))}")
    num_points = len(next(iter(points.values())))
    params = {k: jnp.asarray(v, dtype=jnp.result_type(float) if _is_float(v, getattr(method, k)) else None)
              for k, v in points.items()}
    for p in (problem if isinstance(problem, (list, tuple)) else [problem]):
        method.replace(**params).validate(p)  # every grid value, eagerly

    plan = make_plan(problem, method, criteria)
    image_shape = (problem[0] if isinstance(problem, (list, tuple)) else problem).image_shape
    if plan is not None and plan.grouped:
        pkey = probe_key(key)
        if isinstance(problem, (list, tuple)):
            problem = [_driver.grouped_problem(plan, p, pkey) for p in problem]
        else:
            problem = _driver.grouped_problem(plan, problem, pkey)

    levels = ["grid"]
    if num_seeds is not None:
        if int(num_seeds) < 1:
            raise ValueError(f"num_seeds must be at least 1, got {num_seeds}")
        key = jax.random.split(key, int(num_seeds))
        levels.append("seed")
    if isinstance(problem, (list, tuple)):
        problem = _stack(list(problem))
        reference = None if reference is None else jnp.stack(reference)
        levels.append("image")

    reason = "given"
    if strategy == "auto":
        strategy, reason = choose_strategy(method, problem, num_points)
    mesh, padded = _mesh(num_points)
    params = {k: _pad_to(v, padded) for k, v in params.items()}
    out = _driver.run(problem, method, params, key, reference, levels=tuple(levels), num_iters=num_iters,
                      tol=tol, data_range=data_range, chunk_size=chunk_size, progress=progress, mesh=mesh,
                      label=f"{method.name} sweep ({num_points} points)", plan=plan, image_shape=image_shape,
                      checkpoint=ckpt, strategy=strategy, batch_size=batch_size, metrics_every=metrics_every)
    timings = dict(out["timings"], strategy=strategy, strategy_reason=reason, batch_size=batch_size,
                   devices=len(jax.devices()), processes=jax.process_count())
    trim = lambda a: a[:num_points]  # noqa: E731  (drop the padding added for sharding)
    state = jax.tree_util.tree_map(trim, out["carry"]["state"])
    if plan is not None and plan.select:
        images = trim(out["carry"]["select"]["output"])
    else:
        images = _output_batched(method, {k: trim(v) for k, v in params.items()}, state, len(levels))
    history = {k: trim(v) for k, v in out["history"].items()}
    if metrics_every > 1 and reference is not None:  # the final value of every run, whatever k
        _record_final_metrics(history, images, reference, trim(out["iterations"]), data_range)
    return SweepResult(images=images, params={k: np.asarray(v) for k, v in points.items()},
                       history=history, status=trim(out["status"]),
                       num_iters=trim(out["iterations"]), timings=timings, state=state,
                       select=None if plan is None else plan.select)


def _output_batched(method, params, state, depth):
    """``output`` of every run, each with its own grid point's hyperparameters."""
    fn = lambda p, s: method.replace(**p).output(s)  # noqa: E731
    for _ in range(depth - 1):
        fn = jax.vmap(fn, in_axes=(None, 0))
    return jax.vmap(fn)(params, state)


def _record_final_metrics(history, images, reference, iterations, data_range):
    """Write each run's metric of its returned image at its last iteration (``metrics_every`` may skip it)."""
    lead = iterations.shape
    flat = images.reshape((-1,) + images.shape[len(lead):])
    refs = jnp.broadcast_to(reference, images.shape).reshape(flat.shape)  # (B, …) aligns with the image axis
    last = np.maximum(np.asarray(iterations).reshape(-1) - 1, 0)
    for name, fn in (("psnr", _metrics.psnr), ("ssim", _metrics.ssim)):
        if name in history:
            values = np.asarray(jax.vmap(lambda a, b: fn(a, b, data_range=data_range))(flat, refs))
            h = history[name].reshape(-1, history[name].shape[-1])
            h[np.arange(h.shape[0]), last] = values
            history[name] = h.reshape(history[name].shape)
