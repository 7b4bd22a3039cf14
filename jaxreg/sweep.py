"""``jaxreg.sweep``: a method over a hyperparameter grid (× seeds × images) in one compiled call."""

from __future__ import annotations

import dataclasses
import itertools
from typing import NamedTuple

import numpy as np
import jax
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import _driver
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


def _sharder(num_points):
    """Place the grid axis across all local devices (None on one device)."""
    devices = jax.local_devices()
    if len(devices) < 2:
        return None, num_points
    padded = -(-num_points // len(devices)) * len(devices)
    mesh = Mesh(np.asarray(devices), ("grid",))
    split, whole = NamedSharding(mesh, PartitionSpec("grid")), NamedSharding(mesh, PartitionSpec())

    def shard(init_args, reference, scalars):
        method, params, key, problem = init_args
        params = jax.device_put({k: _pad_to(v, padded) for k, v in params.items()}, split)
        method, key, problem, reference, scalars = jax.device_put((method, key, problem, reference, scalars), whole)
        return (method, params, key, problem), reference, scalars

    return shard, padded


def sweep(problem, method, grid: dict, *, key, num_iters: int, reference=None, mode: str = "product",
          num_seeds: int | None = None, tol: float = 0.0, data_range: float = 1.0, chunk_size: int = 50,
          progress: bool | None = None, criteria=(), checkpoint=None,
          checkpoint_every: int = 100) -> "SweepResult":
    """Run ``method`` at every point of ``grid`` with ``vmap``, in one compiled call.

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
      checkpoint, checkpoint_every: resume a killed sweep (the whole batched state), as in :func:`jaxreg.solve`.
      Other arguments as in :func:`jaxreg.solve`.

    With several local devices the grid axis is sharded across them
    (``jax.sharding``), padded to a multiple of the device count.
    """
    reference = check_run_args(problem, method, key, num_iters, reference, tol, data_range, chunk_size)
    ckpt = check_args(checkpoint, checkpoint_every)
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
            problem = [_grouped(plan, p, pkey) for p in problem]
        else:
            problem = _grouped(plan, problem, pkey)

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

    shard, padded = _sharder(num_points)
    out = _driver.run(problem, method, params, key, reference, levels=tuple(levels), num_iters=num_iters,
                      tol=tol, data_range=data_range, chunk_size=chunk_size, progress=progress, shard=shard,
                      label=f"{method.name} sweep ({num_points} points)", plan=plan, image_shape=image_shape,
                      checkpoint=ckpt)
    trim = lambda a: a[:num_points]  # noqa: E731  (drop the padding added for sharding)
    state = jax.tree_util.tree_map(trim, out["carry"]["state"])
    if plan is not None and plan.grouped:  # the base runs (the companions sit on the axis after the batch levels)
        state = jax.tree_util.tree_map(lambda a: a[(slice(None),) * len(levels) + (0,)], state)
    if plan is not None and plan.select:
        images = trim(out["carry"]["select"]["output"])
    else:
        images = _output_batched(method, {k: trim(v) for k, v in params.items()}, state, len(levels))
    return SweepResult(images=images, params={k: np.asarray(v) for k, v in points.items()},
                       history={k: trim(v) for k, v in out["history"].items()}, status=trim(out["status"]),
                       num_iters=trim(out["iterations"]), timings=out["timings"], state=state,
                       select=None if plan is None else plan.select)


def _grouped(plan, problem, key):
    group, data = plan.build(problem, key)
    return {"group": group, "data": data}


def _output_batched(method, params, state, depth):
    """``output`` of every run, each with its own grid point's hyperparameters."""
    fn = lambda p, s: method.replace(**p).output(s)  # noqa: E731
    for _ in range(depth - 1):
        fn = jax.vmap(fn, in_axes=(None, 0))
    return jax.vmap(fn)(params, state)
