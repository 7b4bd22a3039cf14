"""A hyperparameter grid run four ways: a loop of ``jaxreg.solve`` calls, and ``jaxreg.sweep`` with
``strategy="vmap"``, ``"map"`` and ``"auto"``.  Compile time and run time are reported apart.

The loop compiles once (the grid changes pytree leaves, not shapes) and runs the points one after another; the
ratio ``loop run / sweep run`` above 1 means the sweep is faster.  Each sweep strategy is one compiled program.

    PYTHONPATH=. python benchmarks/sweep_vs_sequential.py                  # every row (about an hour on 2 cores)
    PYTHONPATH=. python benchmarks/sweep_vs_sequential.py --combine a.json b.json   # rows of b replace a's
    PYTHONPATH=. python benchmarks/sweep_vs_sequential.py --rows tv,dip --sizes 64

Writes ``benchmarks/results/sweep_vs_sequential.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import jax

import jaxreg
from jaxreg import data, methods, problems

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import _common as C  # noqa: E402

# method → (swept parameter, grid values, iterations, image sides, extra settings)
ROWS = {
    "tv": ("lam", np.geomspace(0.02, 0.5, 12), 100, (128, 256), {}),
    "l0-smoothing": ("lam", np.geomspace(0.005, 0.1, 12), 30, (128, 256), {}),
    "region-fusion": ("lam", np.geomspace(0.005, 0.1, 12), 40, (128, 256), {}),
    "dip": ("lr", np.geomspace(0.002, 0.02, 12), 10, (48, 64), {}),
    "drp": ("tv_weight", np.geomspace(0.1, 1.0, 12), 10, (48, 64), {}),
    # K = 5 Adam steps per ADMM iteration (the authors use 25) to fit the four ways × repeats on 2 cores
    "dip-l0": ("lam", np.geomspace(0.01, 0.1, 12), 2, (48, 64), {"num_inner": 5}),
}


def one_row(name, size, seed_key, repeats):
    param, values, iters, _, extra = ROWS[name]
    clean = data.sample_image("astronaut", size=size)
    noisy = data.add_gaussian_noise(jax.random.key(1), clean, 0.1)
    problem = problems.Denoise(noisy, sigma=0.1)
    method = methods.get(name, **extra)
    grid = {param: values}
    row = {"method": name, "size": size, "param": param, "points": len(values), "iters": iters,
           "repeats": repeats}

    def loop():
        compile_s, run_s, images = 0.0, 0.0, []
        for v in values:
            r = jaxreg.solve(problem, method.replace(**{param: float(v)}), key=seed_key, num_iters=iters,
                             reference=clean, progress=False)
            compile_s += r.timings["compile_s"]
            run_s += r.timings["run_s"]
            images.append(np.asarray(r.image))
        return compile_s, run_s, np.stack(images)

    runs = {k: [] for k in ("loop", "vmap", "map", "auto")}
    compiles, chosen, diffs = {}, {}, {}
    loop_images = None
    # the four ways are interleaved in every repeat, so a slow spell of the machine hits them alike
    for rep in range(repeats):
        c, r, images = loop()
        compiles.setdefault("loop", c)
        runs["loop"].append(r)
        loop_images = images if loop_images is None else loop_images
        for strategy in ("vmap", "map", "auto"):
            # "auto" resolves to one of the two others: JAX has then already compiled its program (compile ~0),
            # and its run time is one more measurement of the strategy it chose
            s = jaxreg.sweep(problem, method, grid, key=seed_key, num_iters=iters, reference=clean,
                             strategy=strategy, progress=False)
            compiles.setdefault(strategy, s.timings["compile_s"])
            runs[strategy].append(s.timings["run_s"])
            chosen[strategy] = s.timings["strategy"]
            diffs[strategy] = float(np.max(np.abs(np.asarray(s.images) - loop_images)))
    loop_run = float(np.median(runs["loop"]))
    row["loop"] = {"compile_s": compiles["loop"], "run_s": loop_run, "run_s_all": runs["loop"]}
    for strategy in ("vmap", "map", "auto"):
        med = float(np.median(runs[strategy]))
        row[strategy] = {"compile_s": compiles[strategy], "run_s": med, "run_s_all": runs[strategy],
                         "chosen": chosen[strategy], "max_abs_diff_to_loop": diffs[strategy],
                         "run_ratio": loop_run / med,
                         "total_ratio": (compiles["loop"] + loop_run) / (compiles[strategy] + med)}
        print(f"{name} {size}² {strategy:5s} ({chosen[strategy]}): compile {compiles[strategy]:.1f} s, run "
              f"{med:.2f} s (median of {runs[strategy]}); loop run {loop_run:.2f} s; run ratio "
              f"{row[strategy]['run_ratio']:.2f}; max |Δ| to loop {diffs[strategy]:.1e}", flush=True)
    return row


def markdown(fig) -> str:
    env = fig["environment"]
    lines = [
        "# Sweep strategies against a loop of solves",
        "",
        f"Recorded {C.env_line(env)} · commit {fig['commit'] or 'unknown'}.",
        f"Command: `{fig['command']}`.",
        "",
        "12-point grids on σ = 0.1 denoising of the astronaut photo at the given side, PSNR/SSIM against the clean "
        "image recorded every iteration; the loop runs 12 `jaxreg.solve` calls (compiled once); each sweep strategy "
        "is one compiled program.  Run times are the median of "
        f"{' or '.join(str(n) for n in sorted({r['repeats'] for r in fig['rows']}))} repeats (per row in the JSON), "
        "the four ways interleaved.  **ratio** = loop run time / sweep run "
        "time (above 1: the sweep is faster); compile times are apart.  `auto` shows the strategy it chose.",
        "",
    ]
    rows = []
    for r in fig["rows"]:
        cells = [f"{r['method']} ({r['param']})", f"{r['size']}²", r["iters"],
                 f"{C.fmt_s(r['loop']['compile_s'])} + {C.fmt_s(r['loop']['run_s'])}"]
        for st in ("vmap", "map", "auto"):
            x = r[st]
            label = f" ({x['chosen']})" if st == "auto" else ""
            cells.append(f"{C.fmt_s(x['compile_s'])} + {C.fmt_s(x['run_s'])} · **{x['run_ratio']:.2f}**{label}")
        rows.append(cells)
    lines.append(C.table(["method (swept)", "image", "iters", "loop: compile + run",
                          "vmap: compile + run · ratio", "map", "auto"], rows))
    for src in fig.get("combined_from", []):
        lines.insert(4, f"Rows from `{src['command']}` (commit {src['commit']}, {src['date']}).")
    worst = min(r["auto"]["run_ratio"] for r in fig["rows"])
    lines += ["", f"Worst `auto` run ratio: {worst:.2f} (1 = as fast as the loop; the target is ≥ 0.95).",
              "Largest difference of a sweep image to the loop's: "
              + ", ".join(f"{s} {max(r[s]['max_abs_diff_to_loop'] for r in fig['rows']):.1e}"
                          for s in ('vmap', 'map', 'auto')) + "."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default=",".join(ROWS), help=f"methods to run (default: {','.join(ROWS)})")
    ap.add_argument("--sizes", help="image sides to run instead of each method's two (comma-separated)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per way, median reported (default 3)")
    ap.add_argument("--tag", default="", help="suffix of the result files")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    ap.add_argument("--combine", nargs="+", metavar="JSON",
                    help="write the result files from these recorded runs instead of running: a row (method, "
                         "size) of a later file replaces the same row of an earlier one (a quiet re-run of rows)")
    args = ap.parse_args(argv)
    if args.combine:
        import json
        rows, sources = {}, []
        for path in args.combine:
            with open(path) as f:
                rec = json.load(f)
            sources.append({"file": path, "command": rec["command"], "commit": rec["commit"],
                            "date": rec["environment"]["datetime_utc"]})
            for r in rec["rows"]:
                rows[(r["method"], r["size"])] = r
        order = [(n, z) for n in ROWS for z in ROWS[n][3]]
        ordered = [rows[k] for k in order if k in rows] + [r for k, r in rows.items() if k not in order]
        fig = dict(rec, rows=ordered, combined_from=sources, command=" ".join(["python"] + sys.argv))
        C.write_results("sweep_vs_sequential" + args.tag, fig, markdown(fig), args.out)
        return
    names = [n.strip() for n in args.rows.split(",") if n.strip()]
    for n in names:
        if n not in ROWS:
            ap.error(f"unknown row {n!r}; choose from {', '.join(ROWS)}")
    rows = []
    for n in names:
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ROWS[n][3]
        for size in sizes:
            rows.append(one_row(n, size, jax.random.key(0), args.repeats))
    fig = {"command": " ".join(["python"] + sys.argv), "arguments": vars(args), "jaxreg": jaxreg.__version__,
           "commit": C.git_commit(), "environment": C.environment(), "rows": rows}
    C.write_results("sweep_vs_sequential" + args.tag, fig, markdown(fig), args.out)


if __name__ == "__main__":
    main()
