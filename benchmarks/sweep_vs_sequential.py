"""Time one vmapped ``jaxreg.sweep`` against the same grid run as sequential ``jaxreg.solve`` calls.

Reports compile and run time separately, and the ratio of the run times.

    python benchmarks/sweep_vs_sequential.py --size 128 --points 12 --iters 100
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import jax

import jaxreg
from jaxreg import data, methods, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=128, help="image side (default 128)")
    ap.add_argument("--points", type=int, default=12, help="grid points (default 12)")
    ap.add_argument("--iters", type=int, default=100, help="iterations per run (default 100)")
    ap.add_argument("--method", default="tikhonov")
    ap.add_argument("--param", default="lam")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)

    try:
        clean = data.sample_image("astronaut", size=args.size)
        source = "astronaut"
    except ImportError:
        clean = data.clipart(jax.random.key(0), (args.size, args.size, 3))
        source = "clipart"
    noisy = data.add_gaussian_noise(jax.random.key(1), clean, 0.1)
    problem = problems.Denoise(noisy, sigma=0.1)
    method = methods.get(args.method, tol=0.0) if args.method == "tikhonov" else methods.get(args.method)
    values = np.geomspace(0.05, 5.0, args.points)
    key = jax.random.key(0)

    t0 = time.perf_counter()
    s = jaxreg.sweep(problem, method, {args.param: values}, key=key, num_iters=args.iters, reference=clean)
    sweep_wall = time.perf_counter() - t0

    seq_compile, seq_run = 0.0, 0.0
    t0 = time.perf_counter()
    for v in values:
        r = jaxreg.solve(problem, method.replace(**{args.param: float(v)}), key=key, num_iters=args.iters,
                         reference=clean)
        seq_compile += r.timings["compile_s"]
        seq_run += r.timings["run_s"]
    seq_wall = time.perf_counter() - t0

    fig = {
        "device": str(jax.devices()[0]), "image": f"{source} {args.size}x{args.size}x3", "method": args.method,
        "points": args.points, "iters": args.iters,
        "sweep": {"compile_s": s.timings["compile_s"], "run_s": s.timings["run_s"], "wall_s": sweep_wall},
        "sequential": {"compile_s": seq_compile, "run_s": seq_run, "wall_s": seq_wall},
        "run_ratio_sequential_over_sweep": seq_run / s.timings["run_s"],
        "wall_ratio_sequential_over_sweep": seq_wall / sweep_wall,
        "best": {"index": s.best("psnr").index, "params": s.best("psnr").params, "psnr": s.best("psnr").value},
    }
    print(json.dumps(fig, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(fig, f, indent=2)


if __name__ == "__main__":
    main()
