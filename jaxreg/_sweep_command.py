"""``jaxreg sweep``: one method over a hyperparameter grid from the command line, in one process, in several local
processes (``--processes N``, ``jax.distributed``), on a cluster (``--distributed``) or as independent shards
(``--shard i/n``) that ``jaxreg sweep merge`` combines.

Output folder: ``results.json`` (grid parameters under ``"params"``, scores, status, iterations, timings,
strategy, jaxreg version and git commit), ``images.npy`` (every output, grid axis first, float32), one PNG per grid
point in ``points/`` and ``contact_sheet.png`` (every image labelled with its parameters and score, the best framed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .cli import CLIError, TASKS, _build_problem, _read_aux, parse_grid, parse_settings

RESULTS = "results.json"
IMAGES = "images.npy"
SHEET = "contact_sheet.png"
WORKER_TIMEOUT_S = 60  # how long the others may take to notice a dead worker before they are killed


# ------------------------------------------------------------------------------------------------ arguments
def add_parser(sub):
    s = sub.add_parser(
        "sweep", help="run a method over a hyperparameter grid; write every image, the scores and a contact sheet",
        description="Run a method over a hyperparameter grid in one compiled program and write DIR/results.json, "
                    "DIR/images.npy, DIR/points/*.png and DIR/contact_sheet.png.  `jaxreg sweep merge DIR... -o OUT` "
                    "combines the outputs of --shard runs.")
    s.add_argument("input", help="the degraded image")
    s.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (created if missing)")
    s.add_argument("--task", required=True, choices=TASKS)
    s.add_argument("--method", required=True, help="a name from `jaxreg methods`")
    s.add_argument("--grid", action="append", required=True, metavar="NAME=VALUES",
                   help="a swept hyperparameter: NAME=v1,v2,... or NAME=A:B:N (N log-spaced values); repeatable")
    s.add_argument("--grid-mode", choices=("product", "zip"), default="product",
                   help="product (every combination, default) or zip (the lists taken together)")
    s.add_argument("--iters", type=int, required=True, help="iterations per grid point")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="fixed method parameter (repeatable)")
    s.add_argument("--reference", metavar="CLEAN", help="clean image: PSNR/SSIM per grid point (best = highest PSNR)")
    s.add_argument("--criteria", help="no-reference criteria to record, comma-separated (sure, gsure, psure, "
                                      "holdout, j-invariance); without --reference the first picks the best")
    s.add_argument("--strategy", choices=("auto", "vmap", "map"), default="auto",
                   help="how the grid points run inside the program (default auto; see jaxreg.sweep)")
    s.add_argument("--batch-size", type=int, help="with --strategy map/auto: grid points run at a time under vmap")
    s.add_argument("--processes", type=int, default=1, metavar="N",
                   help="run on N local processes (jax.distributed, coordinator on a free localhost port)")
    s.add_argument("--distributed", action="store_true",
                   help="join a multi-process JAX job set up by the cluster (jax.distributed.initialize() reads "
                        "SLURM/Open MPI variables or JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID)")
    s.add_argument("--shard", metavar="I/N", help="run only shard I of N of the grid (0-based); merge the N "
                                                  "outputs with `jaxreg sweep merge`")
    s.add_argument("--checkpoint", metavar="DIR", help="write sweep checkpoints to DIR; the same command resumes "
                                                       "a killed sweep (one process only)")
    s.add_argument("--checkpoint-every", type=int, metavar="N", help="iterations between checkpoints (default 100)")
    s.add_argument("--mask", help="inpainting mask image/.npy: 1 observed, 0 missing")
    s.add_argument("--kernel", help="deblur: blur kernel; sr: anti-aliasing kernel (as for `jaxreg restore`)")
    s.add_argument("--factor", type=int, help="sr: integer magnification")
    s.add_argument("--boundary", choices=("circular", "replicate"), help="boundary of the forward model")
    s.add_argument("--sigma", type=float, help="noise level on the [0, 1] scale, if known")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--coordinator", help=argparse.SUPPRESS)  # set by --processes for its workers
    s.add_argument("--process-id", type=int, help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_sweep)
    return s


def merge_parser():
    m = argparse.ArgumentParser(prog="jaxreg sweep merge",
                                description="Combine the output folders of `jaxreg sweep --shard i/n` runs.")
    m.add_argument("dirs", nargs="+", metavar="DIR", help="the shard output folders")
    m.add_argument("-o", "--output", required=True, metavar="DIR", help="folder of the merged output")
    return m


def parse_shard(text):
    if text is None:
        return None
    try:
        i, n = (int(t) for t in text.split("/"))
    except ValueError:
        raise CLIError(f"--shard expects I/N with integers, e.g. 0/4, got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise CLIError(f"--shard {text}: needs N >= 1 and 0 <= I < N")
    return i, n


def shard_indices(num_points: int, shard):
    """The grid indices of shard ``(i, n)``: contiguous blocks, sizes differing by at most one."""
    if shard is None:
        return np.arange(num_points)
    i, n = shard
    if n > num_points:
        raise CLIError(f"--shard {i}/{n}: the grid has only {num_points} point(s)")
    return np.array_split(np.arange(num_points), n)[i]


def _check_output_dir(path):
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"-o {path!r} exists and is not a directory")
    if not out.resolve().parent.is_dir():
        raise CLIError(f"cannot create -o {path!r}: its parent directory does not exist")
    return out


def _git_commit():
    """The commit of the checkout jaxreg runs from; None for an installed package (not a repository of its own)."""
    from ._provenance import CHECKOUT, git_commit
    return git_commit(CHECKOUT) if (CHECKOUT / ".git").exists() else None


# ------------------------------------------------------------------------------------------------ the command
def cmd_sweep(args) -> int:
    if args.coordinator is not None or args.distributed:
        _initialize_distributed(args)  # before anything touches a JAX device
    import jaxreg
    from . import io
    from .sweep import grid_points

    # every check runs before any process is started and before compiling
    if args.iters is None or args.iters < 1:
        raise CLIError(f"--iters must be at least 1, got {args.iters}")
    if args.processes < 1:
        raise CLIError(f"--processes must be at least 1, got {args.processes}")
    if args.processes > 1 and args.distributed:
        raise CLIError("give --processes N (local workers) or --distributed (a cluster job), not both")
    if args.batch_size is not None and args.batch_size < 1:
        raise CLIError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.checkpoint_every is not None and not args.checkpoint:
        raise CLIError("--checkpoint-every goes with --checkpoint DIR")
    if args.checkpoint and (args.processes > 1 or args.distributed):
        raise CLIError("--checkpoint runs in one process; with several, run --shard i/n jobs, each with its own "
                       "--checkpoint")
    shard = parse_shard(args.shard)
    out = _check_output_dir(args.output)
    cls = jaxreg.methods.method_class(args.method)
    settings = parse_settings(args.set, cls.parameters(), args.method)
    grid = parse_grid(args.grid, cls.parameters(), args.method, option="--grid")
    for name in grid:
        if name in settings:
            raise CLIError(f"{name!r} is both swept (--grid) and fixed (--set)")
    try:
        points = grid_points(grid, args.grid_mode)
    except ValueError as err:
        raise CLIError(f"--grid: {err}") from None
    num_points = len(next(iter(points.values())))
    indices = shard_indices(num_points, shard)
    criteria = tuple(c.strip() for c in (args.criteria or "").split(",") if c.strip())
    method = jaxreg.methods.get(args.method, **settings)
    y = io.imread(args.input)
    problem = _build_problem(args.task, y, args)
    reference = None
    if args.reference:
        reference = _read_aux(args.reference, "--reference")
        if reference.shape != tuple(problem.image_shape):
            raise CLIError(f"--reference has shape {reference.shape}, the restored image {tuple(problem.image_shape)}")
    sub = {k: v[indices] for k, v in points.items()}
    for i in range(len(indices)):  # every grid value, checked eagerly (a bad value names its point)
        try:
            method.replace(**{k: v[i].item() for k, v in sub.items()}).validate(problem)
        except ValueError as err:
            raise CLIError(f"grid point {dict((k, v[i].item()) for k, v in sub.items())}: {err}") from None

    if args.processes > 1 and args.coordinator is None:
        return _launch_workers(args)

    import jax
    result = jaxreg.sweep(problem, method, sub, mode="zip", key=jax.random.key(args.seed), num_iters=args.iters,
                          reference=reference, criteria=criteria, strategy=args.strategy,
                          batch_size=args.batch_size, progress=not args.quiet and jax.process_index() == 0,
                          checkpoint=args.checkpoint,
                          checkpoint_every=100 if args.checkpoint_every is None else args.checkpoint_every)
    if jax.process_index() != 0:
        return 0
    record = {
        "command": "jaxreg " + " ".join(args.argv),
        "input": str(args.input), "task": args.task, "method": args.method, "settings": settings,
        "grid_spec": list(args.grid), "grid_mode": args.grid_mode, "iters": args.iters, "seed": args.seed,
        "reference": args.reference, "criteria": list(criteria),
        "num_points": num_points, "shard": list(shard) if shard else None, "indices": indices.tolist(),
        "params": {k: v.tolist() for k, v in sub.items()},
        "scores": {name: result.scores(name).tolist() for name in _scored(result, criteria)},
        "status": [_status_name(s) for s in np.asarray(result.status).reshape(-1)],
        "iterations": np.asarray(result.num_iters).reshape(-1).tolist(),
        "timings": {k: v for k, v in result.timings.items()},
        "strategy": result.timings["strategy"], "processes": jax.process_count(),
        "devices": len(jax.devices()), "jaxreg": jaxreg.__version__, "commit": _git_commit(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    record = write_outputs(out, record, np.asarray(result.images, np.float32))
    best = record["best"]
    print(f"{args.method}: {len(indices)} grid point(s) on {jax.process_count()} process(es), strategy "
          f"{record['strategy']}; compile {result.timings['compile_s']:.2f} s, run {result.timings['run_s']:.2f} s"
          + (f"; best {best['metric']} {best['value']:.4g} at " + _point_text(best["params"]) if best else "")
          + f"; wrote {out}/{RESULTS}, {IMAGES}, {SHEET}")
    return 0


def _scored(result, criteria):
    names = [n for n in ("psnr", "ssim") if n in result.history]
    return names + [c for c in criteria if c in result.history]


def _status_name(s):
    from ._driver import Status
    return Status(int(s)).name


def _point_text(params: dict) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in params.items())


def _best(record):
    """``{"metric", "index", "value", "params"}`` of the best point (highest PSNR, else lowest first criterion)."""
    scores = record["scores"]
    if "psnr" in scores:
        metric, pick = "psnr", np.nanargmax
    elif record["criteria"] and record["criteria"][0] in scores:
        metric, pick = record["criteria"][0], np.nanargmin
    else:
        return None
    values = np.asarray(scores[metric], float)
    if np.all(np.isnan(values)):
        return None
    i = int(pick(values))
    return {"metric": metric, "index": record["indices"][i], "value": float(values[i]),
            "params": {k: v[i] for k, v in record["params"].items()}}


def write_outputs(out: Path, record: dict, images: np.ndarray) -> dict:
    """results.json, images.npy, points/NNN.png and contact_sheet.png of a sweep (or a merge); returns the record
    as written (with its ``"best"`` point)."""
    from . import io
    out.mkdir(exist_ok=True)
    record = dict(record, best=_best(record))
    digits = len(str(max(record["num_points"] - 1, 1)))
    pngs = images.shape[-1] in (1, 3) and images.ndim == 4
    if pngs:
        (out / "points").mkdir(exist_ok=True)
        for j, i in enumerate(record["indices"]):
            io.imwrite(out / "points" / f"{i:0{digits}d}.png", np.clip(images[j], 0, 1))
    labels = []
    for j, i in enumerate(record["indices"]):
        text = f"#{i} " + _point_text({k: v[j] for k, v in record["params"].items()})
        scores = [f"{m} {vals[j]:.4g}" for m, vals in record["scores"].items()]
        labels.append("\n".join([text] + scores))
    best = record["best"]
    sheet_images = images if pngs else np.asarray(images[..., :1]) if images.ndim == 4 else None
    if sheet_images is not None:
        best_j = record["indices"].index(best["index"]) if best else None
        io.imwrite(out / SHEET, io.contact_sheet(sheet_images, labels, best=best_j))
    np.save(out / IMAGES, images.astype(np.float32))
    tmp = out / (RESULTS + ".tmp")
    tmp.write_text(json.dumps(_jsonable(record), indent=2))
    os.replace(tmp, out / RESULTS)
    return record


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


# ------------------------------------------------------------------------------------------------ processes
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _initialize_distributed(args):
    import jax
    if args.processes > 1 and args.coordinator is None and not args.distributed:
        return
    if args.coordinator is not None:
        jax.distributed.initialize(coordinator_address=args.coordinator, num_processes=args.processes,
                                   process_id=args.process_id, initialization_timeout=WORKER_TIMEOUT_S,
                                   heartbeat_timeout_seconds=10)
    else:
        jax.distributed.initialize()


def _launch_workers(args) -> int:
    """Start ``args.processes`` copies of this command as ``jax.distributed`` workers on this machine; wait for
    them; if one fails, stop the others (SIGTERM, then SIGKILL) and fail with its exit status."""
    n = args.processes
    coordinator = f"127.0.0.1:{_free_port()}"
    launcher = "import sys; from jaxreg.cli import main; sys.exit(main(sys.argv[1:]))"
    base = [sys.executable, "-c", launcher] + list(args.argv) + ["--coordinator", coordinator]
    env = dict(os.environ, XLA_PYTHON_CLIENT_PREALLOCATE="false")
    workers = []
    try:
        for i in range(n):
            cmd = base + ["--process-id", str(i)] + ([] if i == 0 else ["--quiet"])
            workers.append(subprocess.Popen(cmd, env=env, start_new_session=True))
            print(f"jaxreg sweep: started worker {i} of {n} (pid {workers[-1].pid}), coordinator {coordinator}",
                  file=sys.stderr, flush=True)
        failed = None
        while True:
            codes = [w.poll() for w in workers]
            bad = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
            if bad:
                failed = bad[0]
                break
            if all(c == 0 for c in codes):
                return 0
            time.sleep(0.2)
        i, code = failed
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        print(f"jaxreg: error: sweep worker {i} (pid {workers[i].pid}) {how}; stopping the other workers",
              file=sys.stderr, flush=True)
        return 1
    finally:
        _stop(workers)


def _stop(workers, grace: float = 5.0):
    """SIGTERM every live worker's process group, then SIGKILL what is left after ``grace`` seconds."""
    live = [w for w in workers if w.poll() is None]
    for w in live:
        try:
            os.killpg(w.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + grace
    for w in live:
        try:
            w.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(w.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            w.wait()


# ------------------------------------------------------------------------------------------------ merge
_SAME = ("task", "method", "settings", "grid_spec", "grid_mode", "iters", "seed", "reference", "criteria", "input",
         "num_points")


def cmd_merge(argv) -> int:
    args = merge_parser().parse_args(argv)
    out = _check_output_dir(args.output)
    records, images = [], []
    for d in args.dirs:
        path = Path(d) / RESULTS
        if not path.is_file():
            raise CLIError(f"{d!r} has no {RESULTS} (is it the output folder of a `jaxreg sweep` run?)")
        try:
            rec = json.loads(path.read_text())
            img = np.load(Path(d) / IMAGES, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise CLIError(f"cannot read the sweep output in {d!r}: {err}") from None
        if img.shape[0] != len(rec["indices"]):
            raise CLIError(f"{d!r}: {IMAGES} holds {img.shape[0]} images for {len(rec['indices'])} grid points")
        records.append(rec)
        images.append(img)
    first = records[0]
    for d, rec in zip(args.dirs[1:], records[1:]):
        differ = [k for k in _SAME if rec.get(k) != first.get(k)]
        if differ:
            raise CLIError(f"{d!r} is not a shard of the same sweep as {args.dirs[0]!r}: {', '.join(differ)} differ")
    indices = np.concatenate([np.asarray(r["indices"], int) for r in records])
    n = first["num_points"]
    if len(set(indices.tolist())) != len(indices):
        dup = sorted({int(i) for i in indices if np.sum(indices == i) > 1})
        raise CLIError(f"grid points {dup} appear in more than one folder")
    missing = sorted(set(range(n)) - set(indices.tolist()))
    if missing:
        raise CLIError(f"grid points {missing} are in none of the folders (a shard is missing)")
    order = np.argsort(indices)
    cat = lambda key: [v for r in records for v in r[key]]  # noqa: E731
    merged = {k: first[k] for k in _SAME}
    merged.update(
        command="jaxreg sweep merge " + " ".join(argv), shard=None, merged_from=[str(d) for d in args.dirs],
        indices=list(range(n)),
        params={k: [v for r in records for v in r["params"][k]] for k in first["params"]},
        scores={k: [v for r in records for v in r["scores"][k]] for k in first["scores"]},
        status=cat("status"), iterations=cat("iterations"),
        timings=[r["timings"] for r in records], strategy=sorted({r["strategy"] for r in records}),
        processes=[r["processes"] for r in records], jaxreg=first["jaxreg"], commit=first.get("commit"),
        date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    for key in ("params", "scores"):
        merged[key] = {k: [v[i] for i in order] for k, v in merged[key].items()}
    for key in ("status", "iterations"):
        merged[key] = [merged[key][i] for i in order]
    write_outputs(out, merged, np.concatenate(images)[order])
    print(f"merged {len(records)} shard(s), {n} grid points; wrote {out}/{RESULTS}, {IMAGES}, {SHEET}")
    return 0
