"""Compile time of every registered method: first call (empty persistent cache) and cached call, fresh processes.

Every ``jaxreg restore`` waits for XLA to compile the method's loop; the command enables JAX's persistent
compilation cache (``jaxreg/_cache.py``) so that a second run loads the executables instead.  For each method of
``jaxreg.methods.names()`` (or ``--methods``) this script runs

    jaxreg.solve(problem, methods.get(name), key=jax.random.key(0), num_iters=2, progress=False)

twice, each time in a **fresh Python process**, with ``JAX_COMPILATION_CACHE_DIR`` pointing at a new temporary
folder (one per method) and ``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0``,
``JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=0`` (every executable is written):

* **first call**: the folder is empty, everything is compiled;
* **cached**: a second process with the same (now filled) folder.

For each it records ``result.timings["compile_s"]`` (``jax.jit(fn).lower(...).compile()`` of the init and the
chunk executables, see ``jaxreg/_driver.py``: tracing + lowering + XLA compilation on the first call, tracing +
lowering + loading from the cache on the cached one), ``run_s``, the time of the imports, of building the
problem and of the whole ``solve`` call, the persistent-cache hits/misses counted by ``jax.monitoring``, and the
wall time of the whole child process as seen by the parent (interpreter start-up + ``import jax, jaxreg`` +
problem + compile + run).

The problem is built from ``jaxreg.data.sample_image("astronaut", size=S)`` (S = ``--size``, default 64): the
first of these that the method accepts (``methods.get(name).validate(problem)``), colour first, then grey:
``Denoise`` (σ = 0.1, noise level given), ``Deblur`` (9×9 Gaussian kernel, std 1.6, circular boundary, noise
0.01 given), ``Inpaint`` (50 % of the pixels, mask shared by the channels), ``SuperResolution`` (×2 from an
S/2 × S/2 input made by ``data.downsample``), ``CompressiveSensing`` (``SubsampledHadamard``, compression 4),
``JPEGArtifacts`` (quality 10), ``Smooth``.  A method that accepts none of them, or cannot be configured (e.g.
an optional package missing), is listed with the reason and skipped.

    PYTHONPATH=. python benchmarks/compile_times.py                        # every method, 64×64×3
    PYTHONPATH=. python benchmarks/compile_times.py --methods tv,dip --size 128
    PYTHONPATH=. python benchmarks/compile_times.py --list                 # method → problem, nothing solved
    PYTHONPATH=. python benchmarks/compile_times.py --child tv --problem denoise --channels 3 --size 64 \\
        --child-out /tmp/tv.json                                           # one child by hand (cache: env vars)

Writes ``benchmarks/results/compile_times.{json,md}`` (``--out DIR`` elsewhere; rewritten after each method, so
an interrupted run keeps what it measured).  Children are run one at a time; each has ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NAME = "compile_times"
NUM_ITERS = 2

# (kind, description template) in order of preference; the first the method validates is used
KINDS = (
    ("denoise", "Denoise σ=0.1"),
    ("deblur", "Deblur 9×9 Gaussian std 1.6, circular, σ=0.01"),
    ("inpaint", "Inpaint 50 % of pixels"),
    ("super-resolution", "SuperResolution ×2 ({half}² → {size}²)"),
    ("compressive-sensing", "CompressiveSensing Hadamard CF 4"),
    ("jpeg", "JPEGArtifacts q10"),
    ("smooth", "Smooth"),
)
KIND_NAMES = tuple(k for k, _ in KINDS)
CHANNELS = (3, 1)
FIRST_TARGET_S, CACHED_TARGET_S = 10.0, 1.0


# ------------------------------------------------------------------------------------------------ problems
def describe(kind: str, channels: int, size: int) -> str:
    text = dict(KINDS)[kind].format(size=size, half=size // 2)
    return text + (" (grey)" if channels == 1 else "")


def build_problem(kind: str, channels: int, size: int):
    """The ``kind`` problem on the astronaut photo, ``size × size × channels`` unknown image."""
    import numpy as np
    import jax
    from jaxreg import data, operators, problems

    clean = np.asarray(data.sample_image("astronaut", size=size), np.float32)
    if channels == 1:
        clean = (clean @ np.asarray([0.299, 0.587, 0.114], np.float32))[..., None]
    if kind == "denoise":
        return problems.Denoise(data.add_gaussian_noise(jax.random.key(1), clean, 0.1), sigma=0.1)
    if kind == "deblur":
        kernel = data.gaussian_kernel(9, 1.6)
        y = data.add_gaussian_noise(jax.random.key(1), data.blur(clean, kernel, boundary="circular"), 0.01)
        return problems.Deblur(y, kernel, boundary="circular", sigma=0.01)
    if kind == "inpaint":
        mask = data.random_mask(jax.random.key(2), clean.shape, 0.5)
        return problems.Inpaint(clean * mask, mask)
    if kind == "super-resolution":
        if size % 2:
            raise ValueError(f"super-resolution ×2 needs an even size, got {size}")
        return problems.SuperResolution(data.downsample(clean, 2), 2)
    if kind == "compressive-sensing":
        op = operators.SubsampledHadamard.from_compression(clean.shape, 4.0)
        return problems.CompressiveSensing(op.apply(jax.numpy.asarray(clean)), op)
    if kind == "jpeg":
        return problems.JPEGArtifacts(data.jpeg_roundtrip(clean, 10), quality=10)
    if kind == "smooth":
        return problems.Smooth(clean)
    raise ValueError(f"unknown problem kind {kind!r}")


def _reason(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}".strip()


def select_problem(name: str, size: int) -> dict:
    """``{"kind", "channels", "problem", "image_shape", "rejected"}`` for the first problem ``name`` validates,
    or ``{"skip": reason, "rejected"}``.  Builds problems and validates; never solves."""
    from jaxreg import methods

    try:
        method = methods.get(name)
    except Exception as err:  # noqa: BLE001 - an optional dependency or a broken default: record, do not crash
        return {"skip": f"methods.get({name!r}) failed: {_reason(err)}", "rejected": {}}
    rejected = {}
    for channels in CHANNELS:
        for kind in KIND_NAMES:
            label = describe(kind, channels, size)
            try:
                problem = build_problem(kind, channels, size)
            except Exception as err:  # noqa: BLE001
                rejected[label] = f"cannot build: {_reason(err)}"
                continue
            try:
                method.validate(problem)
            except Exception as err:  # noqa: BLE001
                rejected[label] = _reason(err)
                continue
            return {"kind": kind, "channels": channels, "problem": label,
                    "image_shape": list(problem.image_shape), "rejected": rejected}
    supports = ", ".join(p.__name__ for p in type(method).problems)
    specific = [f"{k}: {v}" for k, v in rejected.items() if not _generic(v) and not k.endswith("(grey)")]
    return {"skip": f"no problem accepted at {size}×{size} (supports: {supports})"
                    + "".join(f"; {r}" for r in specific) + " (grey versions likewise)", "rejected": rejected}


def _generic(reason: str) -> bool:
    return "does not support" in reason


# ------------------------------------------------------------------------------------------------ child
def child(args) -> None:
    """One measurement in this (fresh) process; appends one JSON line to ``--child-out``."""
    t_start = time.perf_counter()
    import jax
    import jaxlib
    import jaxreg
    from jaxreg import methods
    import_s = time.perf_counter() - t_start

    counts: dict = {}

    def listener(event, **_):
        if event.startswith("/jax/compilation_cache/"):
            counts[event] = counts.get(event, 0) + 1

    jax.monitoring.register_event_listener(listener)
    t0 = time.perf_counter()
    problem = build_problem(args.problem, args.channels, args.size)
    method = methods.get(args.child)
    jax.block_until_ready(problem.y)
    setup_s = time.perf_counter() - t0
    before = dict(counts)
    t0 = time.perf_counter()
    result = jaxreg.solve(problem, method, key=jax.random.key(0), num_iters=NUM_ITERS, progress=False)
    jax.block_until_ready(result.image)
    solve_s = time.perf_counter() - t0
    during = {k: v - before.get(k, 0) for k, v in counts.items() if v - before.get(k, 0)}
    short = lambda d: {k.rsplit("/", 1)[-1]: v for k, v in d.items()}  # noqa: E731
    rec = {"method": args.child, "problem_kind": args.problem, "channels": args.channels, "size": args.size,
           "problem": describe(args.problem, args.channels, args.size),
           "image_shape": list(problem.image_shape), "num_iters": result.num_iters, "status": result.status.name,
           "compile_s": float(result.timings["compile_s"]), "run_s": float(result.timings["run_s"]),
           "import_s": import_s, "setup_s": setup_s, "solve_s": solve_s,
           "child_total_s": time.perf_counter() - t_start,
           "cache_events_solve": short(during), "cache_events_process": short(counts),
           "cache_dir": jax.config.jax_compilation_cache_dir, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
           "jaxreg": jaxreg.__version__, "device": str(jax.devices()[0])}
    with open(args.child_out, "a") as f:
        f.write(json.dumps(rec) + "\n")


# ------------------------------------------------------------------------------------------------ parent
def dir_stats(path: Path) -> dict:
    files = [p for p in path.rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def run_child(name: str, sel: dict, size: int, cache_dir: Path, timeout: float) -> dict:
    env = dict(os.environ)
    env.update(JAX_COMPILATION_CACHE_DIR=str(cache_dir), JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
               JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    fd, out = tempfile.mkstemp(prefix=f"jaxreg-ct-{name}-", suffix=".jsonl")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--problem", sel["kind"],
           "--channels", str(sel["channels"]), "--size", str(size), "--child-out", out]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(REPO), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.unlink(out)
        return {"error": f"timed out after {timeout:g} s", "process_wall_s": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    try:
        with open(out) as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
    finally:
        os.unlink(out)
    if proc.returncode != 0 or not lines:
        err = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return {"error": f"exit status {proc.returncode}: " + (err[-1] if err else "no output"),
                "stderr_tail": proc.stderr[-3000:], "process_wall_s": wall}
    rec = json.loads(lines[-1])
    rec["process_wall_s"] = wall
    return rec


def measure(name: str, sel: dict, size: int, timeout: float) -> dict:
    row = {"method": name, "problem": sel["problem"], "problem_kind": sel["kind"], "channels": sel["channels"],
           "image_shape": sel["image_shape"]}
    cache_dir = Path(tempfile.mkdtemp(prefix=f"jaxreg-ct-cache-{name}-"))
    try:
        row["first"] = run_child(name, sel, size, cache_dir, timeout)
        row["cache_after_first"] = dir_stats(cache_dir)
        if "error" in row["first"]:
            row["cached"] = {"error": "not run: the first call failed"}
        else:
            row["cached"] = run_child(name, sel, size, cache_dir, timeout)
            row["cache_after_cached"] = dir_stats(cache_dir)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return row


def _yes_no(rec: dict, limit: float) -> str:
    if not rec or "error" in rec:
        return "—"
    return "yes" if rec["compile_s"] <= limit else "no"


def markdown(fig: dict) -> str:
    env, args = fig["environment"], fig["arguments"]
    lines = [f"# Compile time per method: first call and cached call ({args['size']}×{args['size']}, "
             f"fresh processes)", "",
             f"Recorded {C.env_line(env)} · jaxreg {fig['jaxreg']} · commit {(fig['commit'] or 'unknown')[:12]} · "
             f"XLA_FLAGS {env['xla_flags'] or 'unset'} · load average at start "
             f"{', '.join(f'{v:.2f}' for v in env['load_avg_start'])}"
             + (f", at end {', '.join(f'{v:.2f}' for v in env['load_avg_end'])}" if "load_avg_end" in env else "")
             + ".", "",
             f"`jaxreg.solve(problem, methods.get(name), key=jax.random.key(0), num_iters={NUM_ITERS})` with default "
             "hyperparameters, once in a fresh Python process with an empty persistent compilation cache "
             "(`JAX_COMPILATION_CACHE_DIR` a new folder, `JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0`, "
             "`JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=0`), then in a second fresh process with the same folder. "
             "*compile* is `result.timings[\"compile_s\"]` (trace + lower + XLA compile of the init and chunk "
             "executables; on the cached call, trace + lower + load from the cache); *process wall* is the whole "
             "child process (interpreter start, `import jax, jaxreg`, building the problem, compile, 2 iterations). "
             "The two last columns compare *compile* with the targets. Problem: the astronaut photo, the first "
             "kind the method accepts (Denoise, Deblur, Inpaint, SuperResolution, CompressiveSensing, "
             "JPEGArtifacts, Smooth).", ""]
    hdr = ["method", "problem", "first call: compile", "first call: process wall", "cached: compile",
           "cached: process wall", f"≤ {FIRST_TARGET_S:g} s first call?", f"≤ {CACHED_TARGET_S:g} s cached?"]
    body, notes = [], []
    for r in fig["rows"]:
        if "skip" in r:
            notes.append(f"* `{r['method']}` skipped: {r['skip']}")
            continue
        first, cached = r.get("first", {}), r.get("cached", {})
        cached_cell = "—" if "error" in cached else C.fmt_s(cached["compile_s"])
        misses = cached.get("cache_events_solve", {}).get("cache_misses", 0) if "error" not in cached else 0
        if misses:
            cached_cell += f" ({misses} cache misses)"
        body.append([f"`{r['method']}`", r["problem"],
                     "—" if "error" in first else C.fmt_s(first["compile_s"]), C.fmt_s(first.get("process_wall_s")),
                     cached_cell, C.fmt_s(cached.get("process_wall_s")),
                     _yes_no(first, FIRST_TARGET_S), _yes_no(cached, CACHED_TARGET_S)])
        for label, rec in (("first call", first), ("cached call", cached)):
            if "error" in rec and not rec["error"].startswith("not run"):
                notes.append(f"* `{r['method']}` {label} failed: {rec['error']}")
    lines += [C.table(hdr, body), ""]
    if notes:
        lines += ["Skipped or failed:", ""] + notes + [""]
    return "\n".join(lines)


def print_list(plan: dict) -> None:
    width = max(len(n) for n in plan)
    for name, sel in plan.items():
        if "skip" in sel:
            print(f"{name:<{width}}  SKIP  {sel['skip']}")
            continue
        print(f"{name:<{width}}  →  {sel['problem']}  {tuple(sel['image_shape'])}")
        for label, reason in sel["rejected"].items():
            if not _generic(reason):
                print(f"{'':<{width}}     (not {label}: {reason})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring for what is measured.")
    ap.add_argument("--methods", help="comma-separated method names (default: every registered method)")
    ap.add_argument("--size", type=int, default=64, help="image side S: the unknown image is S×S×3 (default 64)")
    ap.add_argument("--out", help="output folder (default benchmarks/results)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per child process (default 600)")
    ap.add_argument("--list", action="store_true",
                    help="print the problem each method would use (built and validated, not solved) and exit")
    ap.add_argument("--child", metavar="NAME", help="internal: measure method NAME in this process")
    ap.add_argument("--problem", choices=KIND_NAMES, help="with --child: the problem kind")
    ap.add_argument("--channels", type=int, choices=CHANNELS, default=3, help="with --child: 3 (colour) or 1 (grey)")
    ap.add_argument("--child-out", help="with --child: file to append the JSON line to")
    args = ap.parse_args(argv)

    if args.child:
        if not args.problem or not args.child_out:
            ap.error("--child needs --problem and --child-out")
        child(args)
        return

    global C
    sys.path.insert(0, str(HERE))
    import _common as C  # noqa: E402,F811
    import jaxreg
    from jaxreg import methods

    names = methods.names() if not args.methods else [n.strip() for n in args.methods.split(",") if n.strip()]
    unknown = [n for n in names if n not in methods.names()]
    if unknown:
        ap.error(f"unknown method(s) {', '.join(unknown)}; available: {', '.join(methods.names())}")
    plan = {n: select_problem(n, args.size) for n in names}
    if args.list:
        print_list(plan)
        return

    env = C.environment()
    env["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    env["load_avg_start"] = os.getloadavg()
    print(C.env_line(env), "· load", env["load_avg_start"], flush=True)
    fig = {"benchmark": NAME, "environment": env, "command": " ".join(["python"] + sys.argv),
           "arguments": {k: getattr(args, k) for k in ("methods", "size", "out", "timeout")},
           "jaxreg": jaxreg.__version__, "commit": C.git_commit(),
           "num_iters": NUM_ITERS, "targets_s": {"first_call_compile": FIRST_TARGET_S,
                                                 "cached_compile": CACHED_TARGET_S}, "rows": []}
    for name in names:
        sel = plan[name]
        if "skip" in sel:
            row = {"method": name, "skip": sel["skip"], "rejected": sel["rejected"]}
            print(f"{name}: skipped ({sel['skip']})", flush=True)
        else:
            print(f"{name}: {sel['problem']} ...", flush=True)
            row = measure(name, sel, args.size, args.timeout)
            row["rejected"] = sel["rejected"]
            for label in ("first", "cached"):
                rec = row[label]
                print(f"  {label}: " + (rec["error"] if "error" in rec else
                                        f"compile {C.fmt_s(rec['compile_s'])}, run {C.fmt_s(rec['run_s'])}, "
                                        f"process {C.fmt_s(rec['process_wall_s'])}, cache "
                                        f"{rec.get('cache_events_solve', {})}"), flush=True)
        row["load_avg"] = os.getloadavg()
        fig["rows"].append(row)
        env["load_avg_end"] = os.getloadavg()
        C.write_results(NAME, fig, markdown(fig), args.out)
    print(markdown(fig))


if __name__ == "__main__":
    main()
