"""Anderson, "Regularization and applications of a network structure deep image prior" (Stanford report), at a
reduced size on a CPU: Table 1 (deconvolution), Table 2 (denoising) and the Fig. 2 regularisation study.  Table 3
(single-pixel camera) is ``benchmarks/single_pixel.py --methods pnp-tv,tv,pnp-dip``.

    PYTHONPATH=. python benchmarks/reproduce_dip_anderson.py table1     # Wiener, ADMM + TV (λ 5e-3, 5e-2), Wiener + DIP
    PYTHONPATH=. python benchmarks/reproduce_dip_anderson.py table2     # DIP vs NLM (scikit-image) and BM3D if installed
    PYTHONPATH=. /tmp/bm3d-venv/bin/python benchmarks/reproduce_dip_anderson.py table2 --add-bm3d   # BM3D column afterwards
    PYTHONPATH=. python benchmarks/reproduce_dip_anderson.py fig2       # dropout / L1 / L2 against none: PSNR vs iterations

The deep prior is the paper's: the no-skip autoencoder (``jaxreg.nets.Autoencoder``, 5 scales of 128) fitted by
Adam.  The paper trains with lr 1e-4 for up to 1e4 iterations on a GPU; to fit a 2-core CPU these runs use
``--lr`` (default 1e-3) and ``--iters`` (default 2000 for the tables, 1500 for the study), stated in every output.
DIP output = the no-reference ES-WMV selection (``jaxreg``'s default stopping); the oracle (best PSNR of the
trajectory against the clean image) is reported beside it, never used to choose.  Classical λ values are the
paper's (Table 1) or stated.  Results: ``benchmarks/results/dip_anderson_<what>.{md,json}`` (+ ``.png`` plot for
fig2).  Images: DIP's ``restoration_kate.png`` and ``denoising_F16_GT.png`` from ``../shared/data/dip`` (the
paper's House/Parrots/F-16/Baboon are not in the public data) and scikit-image's ``camera`` (paper: Cameraman);
centre square, Lanczos-resized to ``--size``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg import data, metrics, methods, nets, problems

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

PAPER_T1 = {  # House, Parrots: sigma -> (Wiener, TV 5e-3, TV 5e-2, Wiener + NS)
    "House": {1e-3: (24.94, 23.58, 22.47, 24.89), 1e-2: (23.55, 23.58, 22.47, 23.45), 1e-1: (18.12, 23.04, 22.39, 17.70)},
    "Parrots": {1e-3: (26.65, 25.98, 25.27, 25.79), 1e-2: (25.89, 25.98, 25.27, 25.27), 1e-1: (19.68, 25.31, 25.13, 19.55)},
}
PAPER_T2 = {  # sigma -> (NLM, BM3D, NS)
    "Cameraman": {5e-3: (31.32, 47.17, 28.75), 1e-2: (31.29, 42.41, 28.70), 5e-2: (30.34, 32.66, 28.12),
                  1e-1: (26.82, 29.11, 27.12), 5e-1: (9.09, 18.59, 18.17)},
    "F-16": {5e-3: (36.67, 47.52, 29.49), 1e-2: (36.54, 43.15, 29.24), 5e-2: (33.33, 35.67, 28.38),
             1e-1: (26.61, 32.70, 28.56), 5e-1: (9.22, 19.17, 18.17)},
}


def psnr(x, ref):
    return float(metrics.psnr(jnp.asarray(np.clip(np.asarray(x), 0, 1)), jnp.asarray(ref), data_range=1.0))


def autoencoder_dip(name, args, **kw):
    kw.setdefault("patience", args.patience)
    return methods.get(name, net=nets.Autoencoder(out_channels=kw.pop("channels", 3)), lr=args.lr, **kw)


def crop(img, args):
    """The centre ``--crop`` square of an image resized to ``--size`` (the paper's scale, CPU-sized area)."""
    img = np.asarray(img, np.float32)
    if not args.crop:
        return img
    top, left = (img.shape[0] - args.crop) // 2, (img.shape[1] - args.crop) // 2
    return img[top:top + args.crop, left:left + args.crop]


def run_dip(problem, method, clean, args):
    """Solve with ES-WMV; returns (psnr at the stopping point, oracle psnr, stop iteration, iterations, timings)."""
    r = jaxreg.solve(problem, method, key=jax.random.key(args.seed), num_iters=args.iters, reference=clean)
    stop = int(r.history["selected_iteration"][r.num_iters - 1])
    oracle = np.nanmax(r.history["psnr_iterate"])
    return {"psnr": psnr(r.image, clean), "oracle": float(oracle), "oracle_iter": int(np.nanargmax(r.history["psnr_iterate"])) + 1,
            "stop_iter": stop, "iters": r.num_iters, "status": r.status.name, "compile_s": r.timings["compile_s"],
            "run_s": r.timings["run_s"]}


# ------------------------------------------------------------------------------------------------ Table 1
def table1(args, data_dir, env):
    images = {"kate": crop(C.load_rgb(data_dir / "dip/restoration_kate.png", args.size), args),
              "F-16": crop(C.load_rgb(data_dir / "dip/denoising_F16_GT.png", args.size), args)}
    size = int(np.ceil(4 * args.blur_sigma)) * 2 + 1  # the Gaussian truncated at 4σ
    kernel = data.gaussian_kernel(size, args.blur_sigma)
    rows = []
    for iname, clean in images.items():
        x = jnp.asarray(clean)
        for k, sigma in enumerate(args.sigmas):
            y = data.blur(x, kernel) + sigma * jax.random.normal(jax.random.key(10 + k), x.shape)
            p = problems.Deblur(y, kernel)
            row = {"image": iname, "sigma": sigma, "psnr_blurred": psnr(y, clean)}
            # Wiener: balance chosen by the noise-to-signal ratio σ²/var(x) (no reference), identity regulariser
            balance = float(sigma ** 2 / np.var(np.asarray(y)))
            t0 = time.perf_counter()
            w = jaxreg.solve(p, methods.get("wiener", balance=balance, reg="identity"), key=jax.random.key(0),
                             num_iters=1)
            row["wiener"] = {"psnr": psnr(w.image, clean), "balance": balance, "s": time.perf_counter() - t0}
            for lam in (5e-3, 5e-2):
                r = jaxreg.solve(p, methods.get("tv", lam=lam, rho=10 * lam, adaptive=True), key=jax.random.key(0),
                                 num_iters=args.tv_iters)
                row[f"tv_{lam:g}"] = {"psnr": psnr(r.image, clean), **r.timings}
            m = autoencoder_dip("wiener-dip", args, balance=balance, reg="identity")
            row["wiener_dip"] = run_dip(p, m, x, args)
            rows.append(row)
            print(f"{iname} σ={sigma:g}: Wiener {row['wiener']['psnr']:.2f}  TV5e-3 {row['tv_0.005']['psnr']:.2f}  "
                  f"TV5e-2 {row['tv_0.05']['psnr']:.2f}  Wiener+DIP {row['wiener_dip']['psnr']:.2f} "
                  f"(oracle {row['wiener_dip']['oracle']:.2f}, {row['wiener_dip']['run_s']:.0f} s)", flush=True)
    fig = {"benchmark": "dip_anderson_table1", "environment": env, "args": vars(args), "kernel_size": size,
           "rows": rows}
    hdr = ["image", "σ", "blurred", "Wiener", "ADMM + TV (λ 5e-3)", "ADMM + TV (λ 5e-2)",
           "Wiener + DIP (ES-WMV)", "Wiener + DIP oracle (iter)", "stop / iters", "DIP compile", "DIP run"]
    body = [[r["image"], f"{r['sigma']:g}", f"{r['psnr_blurred']:.2f}", f"{r['wiener']['psnr']:.2f}",
             f"{r['tv_0.005']['psnr']:.2f}", f"{r['tv_0.05']['psnr']:.2f}", f"{r['wiener_dip']['psnr']:.2f}",
             f"{r['wiener_dip']['oracle']:.2f} ({r['wiener_dip']['oracle_iter']})",
             f"{r['wiener_dip']['stop_iter']} / {r['wiener_dip']['iters']}", C.fmt_s(r["wiener_dip"]["compile_s"]),
             C.fmt_s(r["wiener_dip"]["run_s"])] for r in rows]
    paper = [[img, f"{s:g}"] + [f"{v:.2f}" for v in vals] for img, d in PAPER_T1.items() for s, vals in d.items()]
    md = "\n".join([
        "# Anderson, Table 1: deconvolution (reduced size, CPU)", "",
        f"Recorded {C.env_line(env)}. Colour images resized to {args.size}×{args.size} (the paper's scale), centre "
        f"{args.crop}×{args.crop} crops, Gaussian blur σ_blur = {args.blur_sigma:g} px "
        f"({size}×{size} kernel, circular), additive Gaussian noise σ. *Wiener*: `wiener` with the identity "
        "regulariser and balance = σ²/var(y) (no reference). *ADMM + TV*: `tv` at the paper's λ, ρ₀ = 10λ with residual balancing, "
        f"{args.tv_iters} iterations. *Wiener + DIP*: `wiener-dip` (Anderson's autoencoder, Adam lr {args.lr:g}, "
        f"reg_noise_std 1/30, at most {args.iters} iterations, ES-WMV window 100 / patience {args.patience}) fitted to the "
        "Wiener image; the oracle column is the best PSNR of its trajectory against the clean image (for reference "
        "only). PSNR in dB, data range 1.", "",
        C.table(hdr, body), "",
        "Paper (House, Parrots; their sizes and settings), for orientation:", "",
        C.table(["image", "σ", "Wiener", "ADMM + TV (5e-3)", "ADMM + TV (5e-2)", "Wiener + NS"], paper), ""])
    C.write_results("dip_anderson_table1", fig, md, args.out)


# ------------------------------------------------------------------------------------------------ Table 2
def _nlm(noisy, sigma):
    from skimage.restoration import denoise_nl_means
    kw = {"channel_axis": -1}
    out = denoise_nl_means(np.asarray(noisy, np.float64), h=0.8 * sigma, sigma=sigma, patch_size=5,
                           patch_distance=6, fast_mode=True, **kw)
    return out.reshape(noisy.shape).astype(np.float32)


def _bm3d(noisy, sigma):
    try:
        import bm3d
    except ImportError:
        return None
    v = np.asarray(noisy, np.float64)
    out = bm3d.bm3d_rgb(v, sigma) if v.shape[-1] == 3 else bm3d.bm3d(v, sigma_psd=sigma).reshape(v.shape)
    return np.asarray(out, np.float32)


def table2(args, data_dir, env):
    camera = data.sample_image("camera", size=args.size)
    camera = camera[..., :1] if camera.ndim == 3 else camera[..., None]
    images = {"camera (gray)": crop(camera, args),
              "F-16": crop(C.load_rgb(data_dir / "dip/denoising_F16_GT.png", args.size), args)}
    previous, bm3d_env = None, None
    if args.add_bm3d:  # fill the BM3D column of a recorded table (same images and noise), DIP and NLM kept
        recorded = json.loads((Path(args.out or C.RESULTS) / "dip_anderson_table2.json").read_text())
        previous = {(r["image"], r["sigma"]): r for r in recorded["rows"]}
        env, bm3d_env = recorded["environment"], env
        for name in ("size", "crop", "lr", "iters", "patience"):
            setattr(args, name, recorded["args"][name])
    rows = []
    for iname, clean in images.items():
        x = jnp.asarray(clean)
        for k, sigma in enumerate(args.sigmas):
            noisy = data.add_gaussian_noise(jax.random.key(20 + k), x, sigma, clip=True)
            t0 = time.perf_counter()
            b = _bm3d(noisy, sigma)
            bm3d = None if b is None else {"psnr": psnr(b, clean), "s": time.perf_counter() - t0}
            if previous is not None:
                row = dict(previous[(iname, sigma)], bm3d=bm3d)
                rows.append(row)
                print(f"{iname} σ={sigma:g}: BM3D {bm3d['psnr'] if bm3d else float('nan'):.2f}", flush=True)
                continue
            row = {"image": iname, "sigma": sigma, "psnr_noisy": psnr(noisy, clean), "bm3d": bm3d}
            t0 = time.perf_counter()
            row["nlm"] = {"psnr": psnr(_nlm(noisy, sigma), clean), "s": time.perf_counter() - t0}
            m = autoencoder_dip("dip", args, channels=clean.shape[-1])
            row["dip"] = run_dip(problems.Denoise(noisy), m, x, args)
            rows.append(row)
            print(f"{iname} σ={sigma:g}: noisy {row['psnr_noisy']:.2f}  NLM {row['nlm']['psnr']:.2f}  "
                  f"BM3D {row['bm3d']['psnr'] if row['bm3d'] else float('nan'):.2f}  DIP {row['dip']['psnr']:.2f} "
                  f"(oracle {row['dip']['oracle']:.2f}, {row['dip']['run_s']:.0f} s)", flush=True)
    bm3d_note = None if any(r["bm3d"] for r in rows) else \
        f"BM3D not run: the optional bm3d package is not installed in this Python ({sys.executable})."
    fig = {"benchmark": "dip_anderson_table2", "environment": env, "args": vars(args), "rows": rows,
           "bm3d_note": bm3d_note, "bm3d_environment": bm3d_env}
    hdr = ["image", "σ", "noisy", "NLM", "BM3D", "DIP (ES-WMV)", "DIP oracle (iter)", "stop / iters", "NLM time",
           "BM3D time", "DIP compile", "DIP run"]
    body = [[r["image"], f"{r['sigma']:g}", f"{r['psnr_noisy']:.2f}", f"{r['nlm']['psnr']:.2f}",
             f"{r['bm3d']['psnr']:.2f}" if r["bm3d"] else "—", f"{r['dip']['psnr']:.2f}",
             f"{r['dip']['oracle']:.2f} ({r['dip']['oracle_iter']})", f"{r['dip']['stop_iter']} / {r['dip']['iters']}",
             C.fmt_s(r["nlm"]["s"]), C.fmt_s(r["bm3d"]["s"] if r["bm3d"] else None), C.fmt_s(r["dip"]["compile_s"]),
             C.fmt_s(r["dip"]["run_s"])] for r in rows]
    paper = [[img, f"{s:g}"] + [f"{v:.2f}" for v in vals] for img, d in PAPER_T2.items() for s, vals in d.items()]
    md = "\n".join([
        "# Anderson, Table 2: denoising (reduced size, CPU)", "",
        f"Recorded {C.env_line(env)}. Images resized to {args.size}×{args.size}, centre {args.crop}×{args.crop} crops, "
        "clipped Gaussian noise σ. *NLM*: scikit-image "
        "`denoise_nl_means` (h = 0.8σ, σ given, patch 5, distance 6, fast mode). *BM3D*: the `bm3d` package with σ "
        "given (`bm3d_rgb` for colour), when installed"
        + (f" (filled in later by `--add-bm3d` with {sys.executable}, {bm3d_env['datetime_utc']})" if bm3d_env else "")
        + f". *DIP*: `dip` with Anderson's autoencoder, Adam lr {args.lr:g}, reg_noise_std 1/30, "
        f"EMA 0.99, at most {args.iters} iterations; output = ES-WMV selection (window 100, patience {args.patience}), the "
        "oracle column is the best PSNR of the trajectory (reference only). PSNR in dB, data range 1.", "",
        C.table(hdr, body), "", *( [bm3d_note, ""] if bm3d_note else []),
        "Paper (Cameraman, F-16 at their size; NLM / (C)BM3D / NS), for orientation:", "",
        C.table(["image", "σ", "NLM", "BM3D", "NS"], paper), ""])
    C.write_results("dip_anderson_table2", fig, md, args.out)


# ------------------------------------------------------------------------------------------------ Fig. 2
def fig2(args, data_dir, env):
    camera = data.sample_image("camera", size=args.size)
    clean = jnp.asarray(camera[..., :1] if camera.ndim == 3 else camera[..., None], jnp.float32)
    targets = {"clean": clean,
               "noisy (σ 0.1)": data.add_gaussian_noise(jax.random.key(1), clean, 0.1, clip=True),
               "pure noise": jax.random.uniform(jax.random.key(2), clean.shape)}
    plist = [problems.Denoise(t) for t in targets.values()]
    refs = list(targets.values())  # PSNR against the fitted target (the paper's curves measure the fit)
    base = dict(stopping="none", reg_noise_std=0.0, ema=0.0, fallback=False)
    curves, timings = {}, {}
    # none / L1 / L2 in one compiled call: the penalty weights are swept leaves (zip), the three targets vmapped
    grid = {"l1_weight": [0.0, args.l1, 0.0], "l2_weight": [0.0, 0.0, args.l2]}
    m = autoencoder_dip("dip", args, channels=1, **base)
    s = jaxreg.sweep(plist, m, grid, mode="zip", key=jax.random.key(args.seed), num_iters=args.iters, reference=refs)
    for g, name in enumerate(("none", "L1", "L2")):
        curves[name] = {t: s.history["psnr"][g, i].tolist() for i, t in enumerate(targets)}
    timings["none/L1/L2 sweep"] = dict(s.timings)
    md_net = nets.Autoencoder(out_channels=1, p_keep=args.p_keep)
    m = methods.get("dip", net=md_net, lr=args.lr, **base)
    s = jaxreg.sweep(plist, m, {"lr": [args.lr]}, key=jax.random.key(args.seed), num_iters=args.iters, reference=refs)
    curves["dropout"] = {t: s.history["psnr"][0, i].tolist() for i, t in enumerate(targets)}
    timings["dropout sweep"] = dict(s.timings)
    final = {v: {t: float(np.mean(c[t][-args.final_window:])) for t in targets} for v, c in curves.items()}
    lower = {v: {t: final[v][t] < final["none"][t] for t in targets} for v in ("dropout", "L1", "L2")}
    fig = {"benchmark": "dip_anderson_fig2", "environment": env, "args": vars(args), "curves": curves,
           "final": final, "lower_than_none": lower, "timings": timings}
    _plot(curves, args, Path(args.out) if args.out else C.RESULTS)
    hdr = ["target"] + [f"{v}" for v in curves] + ["each regulariser lower than none?"]
    body = [[t] + [f"{final[v][t]:.2f}" for v in curves] +
            [", ".join(f"{v}: {'yes' if lower[v][t] else 'NO'}" for v in lower)] for t in targets]
    verdict = all(all(d.values()) for d in lower.values())
    md = "\n".join([
        "# Anderson, Fig. 2: weight regularisation of the deep prior (reduced size, CPU)", "",
        f"Recorded {C.env_line(env)}. scikit-image `camera` at {args.size}×{args.size} (gray; the paper used Lena), "
        "the same with clipped noise σ = 0.1, and uniform noise. Anderson's autoencoder fitted to each target by "
        f"`dip` (Adam lr {args.lr:g}, {args.iters} iterations, no input perturbation, no averaging, no stopping), "
        f"PSNR of the network output against the target it fits. Regularisers: dropout p_keep = {args.p_keep:g} "
        f"(after every activation; image = deterministic pass), L1 λ = {args.l1:g} · Σ‖W‖₁, L2 λ = {args.l2:g} · "
        "Σ½‖W‖² over the convolution kernels (the paper does not give its p_keep or λ). Final = mean PSNR of the "
        f"last {args.final_window} iterations.", "",
        C.table(hdr, body), "",
        f"Paper's finding (each of dropout, L1, L2 lowers the final PSNR for all three targets): "
        f"{'reproduced' if verdict else 'NOT reproduced in every case (see the table)'}.", "",
        "![PSNR against iterations](dip_anderson_fig2.png)", "",
        "Time: " + "; ".join(f"{k}: compile {C.fmt_s(v['compile_s'])}, run {C.fmt_s(v['run_s'])}"
                             for k, v in timings.items()) + " (each call runs its 3 × 3 or 3 fits together).", ""])
    C.write_results("dip_anderson_fig2", fig, md, args.out)


def _plot(curves, args, out: Path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot written")
        return
    targets = list(next(iter(curves.values())))
    figure, axes = plt.subplots(1, len(targets), figsize=(4.2 * len(targets), 3.4))
    for ax, t in zip(axes, targets):
        for v, c in curves.items():
            ax.plot(np.arange(1, len(c[t]) + 1), c[t], label=v, lw=1)
        ax.set_title(f"fitting: {t}")
        ax.set_xlabel("iteration")
        ax.set_ylabel("PSNR of the fit (dB)")
        ax.grid(alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    figure.savefig(out / "dip_anderson_fig2.png", dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("table1", "table2", "fig2"))
    ap.add_argument("--size", type=int, default=None, help="images are resized to this side (tables: 256, fig2: 64)")
    ap.add_argument("--crop", type=int, default=None, help="then centre-cropped to this side (tables: 64; 0 = none)")
    ap.add_argument("--patience", type=int, default=300, help="ES-WMV patience of the DIP runs (method default 1000)")
    ap.add_argument("--iters", type=int, default=None, help="max DIP iterations (default 2000; fig2: 1500)")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of the deep prior (paper: 1e-4)")
    ap.add_argument("--sigmas", default=None, help="noise levels (default: the paper's)")
    ap.add_argument("--blur-sigma", type=float, default=5.0)
    ap.add_argument("--tv-iters", type=int, default=300)
    ap.add_argument("--l1", type=float, default=1e-7)
    ap.add_argument("--l2", type=float, default=1e-5)
    ap.add_argument("--p-keep", type=float, default=0.9)
    ap.add_argument("--final-window", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--add-bm3d", action="store_true",
                    help="table2: only compute BM3D and fill it into the recorded table (run with a Python that has bm3d)")
    C.add_io_args(ap)
    args = ap.parse_args(argv)
    args.size = args.size or (64 if args.what == "fig2" else 256)
    args.crop = (0 if args.what == "fig2" else 64) if args.crop is None else args.crop
    args.iters = args.iters or (1000 if args.what == "fig2" else 2000)
    default_sigmas = {"table1": "1e-3,1e-2,1e-1", "table2": "5e-3,1e-2,5e-2,1e-1,5e-1", "fig2": "0.1"}
    args.sigmas = [float(v) for v in (args.sigmas or default_sigmas[args.what]).split(",")]
    data_dir = C.require_data(args.data, f"reproduce_dip_anderson {args.what}")
    env = C.environment()
    {"table1": table1, "table2": table2, "fig2": fig2}[args.what](args, data_dir, env)


if __name__ == "__main__":
    main()
