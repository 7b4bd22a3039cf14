"""Cost of run checkpoints: a DIP denoising run with and without ``checkpoint_every=100``.

    PYTHONPATH=. python benchmarks/checkpoint_overhead.py [--size 64] [--iters 500] [--repeats 3]

The official DIP (skip net, 2.2 M parameters, Adam) on a ``--size``² colour crop with σ = 0.1 noise, ``--iters``
iterations in chunks of 50, run ``--repeats`` times alternately without and with checkpoints (a new directory
each time, so nothing is resumed).  Reports the median run time (compilation excluded, measured apart), the
overhead ratio, the size of one checkpoint file and the time of one write (run time difference / writes).
Writes ``benchmarks/results/checkpoint_overhead.{json,md}``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import jax

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

import jaxreg  # noqa: E402
from jaxreg import data, methods, problems  # noqa: E402
from jaxreg.checkpoint import SUFFIX  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", help="output folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    env = C.environment()
    x = data.sample_image("astronaut", size=args.size)
    p = problems.Denoise(data.add_gaussian_noise(jax.random.key(1), x, 0.1, clip=True))
    m = methods.get("dip", stopping="none")
    kw = dict(key=jax.random.key(0), num_iters=args.iters, chunk_size=50)
    warm = jaxreg.solve(p, m, **kw)  # compile once
    plain, with_ckpt, sizes = [], [], []
    for _ in range(args.repeats):
        plain.append(jaxreg.solve(p, m, **kw).timings["run_s"])
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp) / "ckpt"
            r = jaxreg.solve(p, m, checkpoint=d, checkpoint_every=args.every, **kw)
            with_ckpt.append(r.timings["run_s"])
            sizes = [f.stat().st_size for f in d.glob(f"run-*{SUFFIX}")]
    writes = -(-args.iters // args.every)
    t0, t1 = statistics.median(plain), statistics.median(with_ckpt)
    row = {"compile_s": warm.timings["compile_s"], "run_s_plain": plain, "run_s_checkpoint": with_ckpt,
           "median_plain_s": t0, "median_checkpoint_s": t1, "overhead": t1 / t0 - 1.0, "writes": writes,
           "file_bytes": max(sizes) if sizes else None, "per_write_s": (t1 - t0) / writes}
    md = "\n".join([
        f"# Checkpoint overhead: DIP {args.size}×{args.size}, {args.iters} iterations, every {args.every}", "",
        f"Recorded {C.env_line(env)}. Official DIP settings, σ = 0.1, chunks of 50; {args.repeats} alternating "
        "repeats, medians; compilation excluded (it is the same executable with and without checkpoints).", "",
        C.table(["", "value"], [
            ["run time without checkpoints", C.fmt_s(t0)], ["run time with checkpoints", C.fmt_s(t1)],
            ["overhead", f"{100 * row['overhead']:+.1f} %"], ["checkpoints written", str(writes)],
            ["one checkpoint file", f"{row['file_bytes'] / 1e6:.1f} MB" if row["file_bytes"] else "—"],
            ["time per write (difference / writes)", C.fmt_s(max(row["per_write_s"], 0.0))],
            ["compile (once)", C.fmt_s(row["compile_s"])]]), ""])
    fig = {"benchmark": "checkpoint_overhead", "environment": env, "command": " ".join(sys.argv),
           "arguments": vars(args), "jaxreg": jaxreg.__version__, "commit": C.git_commit(), **row}
    C.write_results("checkpoint_overhead", fig, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
