"""Wiener deconvolution: jaxreg ``wiener`` vs ``skimage.restoration.wiener(..., clip=False)``.

Real images (astronaut from scikit-image and F-16 from ``../shared/data``, centre-cropped and resized to
``--size``), blurred circularly (``jaxreg.data.blur(..., boundary="circular")``) by a Gaussian kernel
(``gaussian_kernel(--gauss-size, --gauss-sigma)``) and by one ALR kernel (``alr/kernels/<k>.npy``,
25×25), plus Gaussian noise σ ∈ ``--sigmas``.  For each case and each regulariser (Laplacian, identity)
``balance`` is chosen by ONE ``jaxreg.sweep`` over ``--points`` log-spaced values (oracle, best PSNR);
at that balance scikit-image's ``wiener`` (channel by channel, ``reg=None`` for the Laplacian,
``reg=np.ones((1, 1))`` for the identity, ``is_real=True``, ``clip=False``) is compared with jaxreg's
output: max abs difference per channel, PSNRs, and times (jaxreg ``solve`` post-compile run, the jitted
pure function ``wiener_deconvolve``, and scikit-image; medians of ``--repeats``).

    PYTHONPATH=. python benchmarks/wiener.py
    PYTHONPATH=. python benchmarks/wiener.py --size 128 --images astronaut

Writes ``benchmarks/results/wiener.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg import data, methods, metrics, problems
from jaxreg.methods.wiener import wiener_deconvolve

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

IMAGES = {"astronaut": None, "f16": "dip/denoising_F16_GT.png", "kate": "dip/restoration_kate.png"}


def psnr(x, ref):
    return float(metrics.psnr(jnp.asarray(x), jnp.asarray(ref), data_range=1.0))


def skimage_wiener(y, kernel, balance, reg):
    from skimage.restoration import wiener
    reg_arg = None if reg == "laplacian" else np.ones((1, 1), np.float32)
    return np.stack([wiener(y[..., c], kernel, balance, reg=reg_arg, is_real=True, clip=False)
                     for c in range(y.shape[-1])], axis=-1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--images", default="astronaut,f16")
    ap.add_argument("--sigmas", default="1e-3,1e-2")
    ap.add_argument("--gauss-size", type=int, default=15)
    ap.add_argument("--gauss-sigma", type=float, default=2.0)
    ap.add_argument("--alr-kernel", type=int, default=1, help="ALR kernel number 1..12 (default 1)")
    ap.add_argument("--points", type=int, default=13, help="balance grid points (default 13)")
    C.add_range(ap, "balance", 1e-6, 1.0)
    ap.add_argument("--repeats", type=int, default=5)
    C.add_io_args(ap, name="wiener")
    args = ap.parse_args(argv)

    env = C.environment()
    data_dir = C.data_dir(args.data)
    have = C.have_data(data_dir)
    images, skipped = {}, {}
    for n in [v for v in args.images.split(",") if v]:
        if IMAGES[n] is None:
            images[n] = np.asarray(data.sample_image(n, size=args.size))
        elif have:
            images[n] = C.load_rgb(data_dir / IMAGES[n], args.size)
        else:
            skipped[n] = f"{data_dir} absent"
    kernels = {f"gaussian {args.gauss_size}×{args.gauss_size} (std {args.gauss_sigma:g} px)":
               np.asarray(data.gaussian_kernel(args.gauss_size, args.gauss_sigma))}
    if have:
        k = np.load(data_dir / f"alr/kernels/{args.alr_kernel}.npy", allow_pickle=False).astype(np.float32)
        kernels[f"ALR kernel {args.alr_kernel} ({k.shape[0]}×{k.shape[1]})"] = k
    else:
        skipped["ALR kernel"] = f"{data_dir} absent"
    for n, why in skipped.items():
        print(f"SKIPPED {n}: {why}")
    sigmas = [float(s) for s in args.sigmas.split(",")]
    grid = np.geomspace(args.balance_min, args.balance_max, args.points)
    pure = jax.jit(wiener_deconvolve, static_argnames=("reg",))
    key = jax.random.key(0)

    rows = []
    case = 0
    for iname, clean in images.items():
        for kname, kern in kernels.items():
            blurred = data.blur(jnp.asarray(clean), jnp.asarray(kern), boundary="circular")
            for sigma in sigmas:
                y = data.add_gaussian_noise(jax.random.key(100 + case), blurred, sigma)
                case += 1
                yn = np.asarray(y)
                problem = problems.Deblur(y, kern, boundary="circular")
                for reg in ("laplacian", "identity"):
                    base = methods.get("wiener", reg=reg)
                    sw = jaxreg.sweep(problem, base, {"balance": grid}, key=key, num_iters=1, reference=jnp.asarray(clean))
                    best = sw.best("psnr")
                    bal = best.params["balance"]
                    m = base.replace(balance=bal)
                    first = jaxreg.solve(problem, m, key=key, num_iters=1)
                    runs = [jaxreg.solve(problem, m, key=key, num_iters=1) for _ in range(args.repeats)]
                    x_j = np.asarray(runs[-1].image)
                    C.block(pure(y, kern, bal, reg=reg))
                    t_pure, _, _ = C.median_time(lambda: C.block(pure(y, kern, bal, reg=reg)), args.repeats)
                    skimage_wiener(yn, kern, bal, reg)
                    t_sk, _, x_s = C.median_time(lambda: skimage_wiener(yn, kern, bal, reg), args.repeats)
                    per_ch = [float(np.max(np.abs(x_j[..., c].astype(np.float64) - x_s[..., c]))) for c in range(3)]
                    row = {"image": iname, "shape": list(clean.shape), "kernel": kname, "sigma": sigma, "reg": reg,
                           "balance": bal, "balance_index": best.index,
                           "balance_at_grid_edge": best.index in (0, len(grid) - 1),
                           "psnr_blurred": psnr(y, clean), "psnr_jaxreg": psnr(x_j, clean),
                           "psnr_skimage": psnr(x_s.astype(np.float32), clean),
                           "max_abs_diff_per_channel": per_ch, "max_abs_diff": max(per_ch),
                           "max_abs_output": float(np.max(np.abs(x_s))), "skimage_dtype": str(x_s.dtype),
                           "jaxreg_compile_s": first.timings["compile_s"],
                           "jaxreg_run_s": float(np.median([r.timings["run_s"] for r in runs])),
                           "pure_fn_run_s": t_pure, "skimage_run_s": t_sk,
                           "sweep": dict(sw.timings)}
                    rows.append(row)
                    print(f"{iname} | {kname} | σ={sigma:g} | {reg}: balance {bal:.3g} PSNR {row['psnr_blurred']:.2f}→"
                          f"{row['psnr_jaxreg']:.2f} (skimage {row['psnr_skimage']:.2f}) max|Δ| {row['max_abs_diff']:.2e} "
                          f"jaxreg {C.fmt_s(row['jaxreg_run_s'])} pure {C.fmt_s(t_pure)} skimage {C.fmt_s(t_sk)}",
                          flush=True)

    fig = {"benchmark": "wiener", "environment": env, "size": args.size, "balance_grid": grid,
           "repeats": args.repeats, "rows": rows, "skipped": skipped,
           "noise_keys": "jax.random.key(100 + case index), cases in table order (per image × kernel × σ)"}
    C.write_results(args.name, fig, markdown(fig), args.out)


def markdown(fig):
    env = fig["environment"]
    g = fig["balance_grid"]
    lines = ["# Wiener deconvolution: jaxreg vs `skimage.restoration.wiener(..., clip=False)`", "",
             f"Recorded {C.env_line(env)}. Images {fig['size']}×{fig['size']}×3, circular blur, Gaussian noise "
             f"σ (no clipping). `balance` by one `jaxreg.sweep` over `geomspace({g[0]:g}, {g[-1]:g}, {len(g)})` "
             "per case and regulariser (oracle: best PSNR), the same balance given to scikit-image (channel by "
             "channel, float32 in and out). max |Δ| = max over pixels of |jaxreg − skimage|, per channel (R, G, "
             f"B). Times: medians of {fig['repeats']} on a shared machine (expect ±20 %); jaxreg solve = "
             "`jaxreg.solve(..., num_iters=1)` post-compile; pure fn = jitted `wiener_deconvolve`.", ""]
    hdr = ["image", "kernel", "σ", "reg", "balance", "PSNR blurred", "PSNR jaxreg", "PSNR skimage",
           "max |Δ| per channel", "jaxreg compile", "jaxreg solve", "pure fn", "skimage", "skimage / jaxreg solve"]
    body = []
    for r in fig["rows"]:
        body.append([r["image"], r["kernel"], f"{r['sigma']:g}", r["reg"],
                     f"{r['balance']:.3g}" + (" (edge)" if r["balance_at_grid_edge"] else ""),
                     C.fmt_db(r["psnr_blurred"]), C.fmt_db(r["psnr_jaxreg"]), C.fmt_db(r["psnr_skimage"]),
                     ", ".join(f"{v:.1e}" for v in r["max_abs_diff_per_channel"]), C.fmt_s(r["jaxreg_compile_s"]),
                     C.fmt_s(r["jaxreg_run_s"]), C.fmt_s(r["pure_fn_run_s"]), C.fmt_s(r["skimage_run_s"]),
                     f"{r['skimage_run_s'] / r['jaxreg_run_s']:.2f}"])
    lines += [C.table(hdr, body), ""]
    worst = max(fig["rows"], key=lambda r: r["max_abs_diff"]) if fig["rows"] else None
    if worst:
        lines += [f"Largest difference: {worst['max_abs_diff']:.2e} ({worst['image']}, {worst['kernel']}, "
                  f"σ={worst['sigma']:g}, {worst['reg']}, balance {worst['balance']:.3g}); target ≤ 1e-4: "
                  + ("pass" if worst["max_abs_diff"] <= 1e-4 else "FAIL") + ".", ""]
    if fig["skipped"]:
        lines += ["Skipped: " + ", ".join(f"{k} ({v})" for k, v in fig["skipped"].items()), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
