"""DIP and DIP-TV with no-reference early stopping (ES-WMV) on real 64×64 colour crops at σ = 0.1.

For each crop: DIP (the official skip network and settings) and DIP-TV (``tv_weight``, the differentiable TV in
the loss) in one ``jaxreg.sweep`` call over ``tv_weight`` (same key), and DIP-TV by ADMM splitting
(``dip-tv-admm``, same λ, ρ = 1).  Each run stops by ES-WMV (window 100, patience 1000) or at ``--iters``.
Reported: the PSNR of the image at the stopping point (what a user gets), the oracle best PSNR of the same run
(the best averaged iterate against the clean image, which papers report and a user cannot compute), the
iteration kept and the iterations run, compile and run time.

    PYTHONPATH=. python benchmarks/dip_stopping.py                 # f16, astronaut, chelsea; 2000 iterations

Crops: the DIP F-16 (``../shared/data/dip/denoising_F16_GT.png``, full resolution, rows/cols 200–263), and
scikit-image's astronaut and chelsea resized to 256 (astronaut rows 100–163, cols 180–243; chelsea rows 60–123,
cols 120–183).  Noise: clipped Gaussian, σ = 0.1, key 100.  Writes ``benchmarks/results/dip_stopping.{md,json}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg import data, metrics, methods, problems

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

CROPS = {"f16": None, "astronaut": (100, 180), "chelsea": (60, 120)}


def load(name, data_dir):
    if name == "f16":
        return C.load_rgb(data_dir / "dip/denoising_F16_GT.png")[200:264, 200:264]
    top, left = CROPS[name]
    return np.asarray(data.sample_image(name, size=256))[top:top + 64, left:left + 64]


def summary(images, history, num_iters, g, clean):
    n = int(num_iters[g])
    return {"psnr": float(metrics.psnr(images[g], clean, data_range=1.0)),
            "oracle": float(np.nanmax(history["psnr_iterate"][g, :n])),
            "oracle_iter": int(np.nanargmax(history["psnr_iterate"][g, :n])) + 1,
            "kept_iter": int(history["selected_iteration"][g, n - 1]), "iters": n}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crops", default=",".join(CROPS))
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--tv-weight", type=float, default=float(methods.get("dip-tv").tv_weight))
    ap.add_argument("--no-admm", action="store_true", help="skip dip-tv-admm")
    C.add_io_args(ap)
    args = ap.parse_args(argv)
    data_dir = C.require_data(args.data, "dip_stopping")
    env = C.environment()
    key = jax.random.key(0, impl="rbg")
    rows = []
    for name in args.crops.split(","):
        clean = jnp.asarray(load(name, data_dir))
        noisy = data.add_gaussian_noise(jax.random.key(100), clean, 0.1, clip=True)
        p = problems.Denoise(noisy)
        row = {"crop": name, "noisy": float(metrics.psnr(noisy, clean, data_range=1.0))}
        s = jaxreg.sweep(p, methods.get("dip"), {"tv_weight": [0.0, args.tv_weight]}, key=key, num_iters=args.iters,
                         reference=clean, chunk_size=100)
        row["dip"] = summary(s.images, s.history, s.num_iters, 0, clean)
        row["dip-tv"] = summary(s.images, s.history, s.num_iters, 1, clean)
        row["sweep_timings"] = dict(s.timings)
        if not args.no_admm:
            r = jaxreg.solve(p, methods.get("dip-tv-admm", tv_weight=args.tv_weight), key=key, num_iters=args.iters,
                             reference=clean, chunk_size=100)
            hist = {k: v[None] for k, v in r.history.items()}
            row["dip-tv-admm"] = summary(r.image[None], hist, np.asarray([r.num_iters]), 0, clean)
            row["admm_timings"] = dict(r.timings)
        rows.append(row)
        print(name, {k: v for k, v in row.items() if k != "sweep_timings"}, flush=True)

    variants = [v for v in ("dip", "dip-tv", "dip-tv-admm") if v in rows[0]]
    hdr = ["crop", "noisy"] + [f"{v}: stop (oracle) [kept / run]" for v in variants] + ["DIP − noisy",
                                                                                        "DIP stop − oracle"]
    body = []
    for r in rows:
        line = [r["crop"], f"{r['noisy']:.2f}"]
        for v in variants:
            d = r[v]
            line.append(f"{d['psnr']:.2f} ({d['oracle']:.2f}) [{d['kept_iter']} / {d['iters']}]")
        line += [f"{r['dip']['psnr'] - r['noisy']:+.2f}", f"{r['dip']['psnr'] - r['dip']['oracle']:+.2f}"]
        body.append(line)
    times = [[r["crop"], C.fmt_s(r["sweep_timings"]["compile_s"]), C.fmt_s(r["sweep_timings"]["run_s"]),
              C.fmt_s(r.get("admm_timings", {}).get("compile_s")), C.fmt_s(r.get("admm_timings", {}).get("run_s"))]
             for r in rows]
    md = "\n".join([
        "# DIP / DIP-TV with no-reference early stopping (ES-WMV), 64×64 colour crops, σ = 0.1", "",
        f"Recorded {C.env_line(env)}. Official DIP settings (skip net, lr 0.01, reg_noise_std 1/30, EMA 0.99, "
        f"fall-back), at most {args.iters} iterations, ES-WMV window 100 / patience 1000 (the kept image is the "
        f"average 99 iterations after the variance valley). DIP-TV: tv_weight {args.tv_weight:g} (loss) and "
        "`dip-tv-admm` (same λ, ρ = 1). Each cell: PSNR at the stopping point (oracle best PSNR of the same run) "
        "[iteration kept / iterations run]. Key `jax.random.key(0, impl='rbg')`.", "",
        C.table(hdr, body), "",
        "Time (the sweep runs DIP and DIP-TV together, vmapped; it runs until both have stopped):", "",
        C.table(["crop", "sweep compile", "sweep run", "dip-tv-admm compile", "dip-tv-admm run"], times), ""])
    fig = {"benchmark": "dip_stopping", "environment": env, "args": vars(args), "rows": rows}
    C.write_results("dip_stopping", fig, md, args.out)


if __name__ == "__main__":
    main()
