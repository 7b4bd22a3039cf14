"""NGR (Xu et al., "Neural Gradient Regularizer"): Table I (RGB inpainting against DIP), video and hyperspectral
inpainting and denoising, and NGR deblurring (beyond the paper) against TV deconvolution.

    PYTHONPATH=. python benchmarks/reproduce_ngr.py inpaint [--size 64] [--iters 1000] [--rates 0.5,0.3,0.1] [--mask entry]
    PYTHONPATH=. python benchmarks/reproduce_ngr.py video   [--size 64] [--frames 8] [--iters 1000]
    PYTHONPATH=. python benchmarks/reproduce_ngr.py hsi     [--size 64] [--bands 16] [--iters 1000]
    PYTHONPATH=. python benchmarks/reproduce_ngr.py deblur  [--size 128] [--kernel 1] [--iters 500]

**CPU scale** (stated in every result file): every image is the largest centred square of the file, resized
with Lanczos to ``--size`` (64 by default; the paper works at full size with 15000 inpainting / 4000 denoising
iterations, which needs a GPU).  Every method gets the same number of iterations (``--iters``) and is stopped
without the ground truth: its image after the last iteration.  The oracle (best PSNR over the iterations, what
the official code reports) is given in separate columns for reference only.

* ``inpaint`` (Table I): Set5 "baby", Set5 "butterfly", F-16 (``../shared/data``) at sampling rates 50 / 30 / 10 %
  of the entries.  ``--mask entry`` (default) samples each entry of the ``H × W × 3`` tensor independently, the
  paper's tensor-completion protocol (its code draws the observed entries of the ``C × H × W`` array and reads Ω
  per entry); ``--mask pixel`` uses per-pixel masks shared by the colour channels (``ngr_inpaint_pixel_cpu``).  ``--crop``: centre ``--size`` crops at full resolution
  instead of resized images (``ngr_inpaint_crop[_pixel]_cpu``); ``--images`` a subset.  NGR: preset ``rgb-inpainting`` (paper update order).
  DIP: the official inpainting configuration (skip 32→3, [128]×5 down/up/skip, nearest, lr 0.01, input noise
  0.03, no averaging); its output is composited with the observed pixels, like NGR's (this only helps DIP).
  ``--lam-t 2,5``: extra NGR columns that change only λ_t (the preset's 0.5 always runs); ``--validation``: the
  scikit-image photographs astronaut and coffee instead of the test images, for choosing λ_t without them
  (``ngr_inpaint_validation_cpu``).
* ``video``: a grey 8-frame clip panned over a real photograph (kate, ``dip/inpainting_kate.png``: 2 px right
  and 1 px down per frame), stacked as ``(H, W, T)`` like the authors'; inpainting at 20 % (per-frame masks),
  Gaussian denoising at σ = 0.1.  NGR presets ``multichannel-inpainting`` and ``video-denoising``; DIP with the
  frames as channels (as deep-hs-prior), official settings.
* ``hsi``: no hyperspectral cube can be installed here.  The test cube has real spatial content and synthetic
  spectra: a real photograph (castle, ``alr/castle.png``) unmixed into three abundance maps (its R, G, B
  channels) times three smooth endmember spectra (Gaussian bumps at 610, 550 and 465 nm, σ = 45 nm, plus a
  flat 0.1 floor), sampled at ``--bands`` wavelengths in 400–700 nm and scaled to a peak of 1
  (:func:`jaxreg.data.spectral_cube`).  Inpainting at 10 % of the entries; weak mixed noise as the paper
  (per band Gaussian σ ~ U[0.1, 0.4], impulse 10 %, stripes and deadlines on 20 %
  of the bands, 35 lines per 200 columns; :func:`jaxreg.data.mixed_noise`).  Metrics MPSNR / MSSIM (means over bands; MSSIM is ``metrics.ssim``, already a band mean), SAM (degrees),
  ERGAS.
* ``deblur``: castle at ``--size``, an ALR kernel (``alr/kernels/<k>.npy``, 25×25), circular blur, Gaussian
  noise σ = 0.01.  NGR (``ngr-denoise`` on a ``Deblur`` problem) against TV deconvolution (``tv``, isotropic,
  λ chosen from a grid by the best PSNR — an oracle choice that favours TV).

Writes ``benchmarks/results/ngr_<command>_cpu.{md,json}``.
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
from jaxreg.methods import ngr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

KEY = jax.random.key(0)
# validation photographs (scikit-image, bundled): for choosing a setting without touching the test images
VALIDATION_IMAGES = {"astronaut": None, "coffee": None}
RGB_IMAGES = {"baby": "drp/set5_baby.png", "butterfly": "alr/butterfly.png", "f16": "dip/denoising_F16_GT.png"}
# Xu et al. (NGR), Table I, Set5 rows (PSNR / SSIM at SR 50 %, 30 %, 10 %; full size, oracle-best iterate)
PAPER_SET5 = {"dip": {0.5: (37.88, 0.964), 0.3: (34.50, 0.936), 0.1: (29.18, 0.866)},
              "ngr": {0.5: (40.33, 0.974), 0.3: (35.84, 0.951), 0.1: (29.70, 0.881)}}


def dip_inpainting(channels=3, **kw):
    """The official DIP inpainting configuration (reference notes §0), no averaging, fixed budget."""
    net = nets.Skip.uniform(5, 128, 128, 128, upsample_mode="nearest", out_channels=channels)
    return methods.get("dip", net=net, reg_noise_std=0.03, ema=0.0, stopping="none", fallback=False, **kw)


def dip_denoising(**kw):
    """The official DIP denoising configuration (skip 32→C, [128]×5, skip 4, bilinear, EMA 0.99)."""
    return methods.get("dip", reg_noise_std=1.0 / 30, stopping="none", fallback=False, **kw)


def scores(x, ref, multiband=False):
    """PSNR / SSIM (and MPSNR, SAM, ERGAS for ``multiband``); a video is scored as its ``(H, W, T)`` stack."""
    x, ref = ngr.to_stack(jnp.clip(jnp.asarray(x), 0, 1)), ngr.to_stack(jnp.asarray(ref))
    out = {"psnr": float(metrics.psnr(x, ref, data_range=1.0)), "ssim": float(metrics.ssim(x, ref, data_range=1.0))}
    if multiband:
        out.update(mpsnr=float(metrics.mpsnr(x, ref, data_range=1.0)), sam=float(metrics.sam(x, ref)), ergas=float(metrics.ergas(x, ref)))
    return out


def run(method, problem, ref, iters, *, composite=None, multiband=False, checkpoint=None, shown=None, key=None):
    """Solve for ``iters`` iterations; the final image's scores, the oracle (best PSNR over the iterations).
    ``checkpoint`` (``--resume``): resume a killed solve from its last checkpoint (``run_s`` then counts the last
    call only).  With ``shown`` (a dict), the returned image goes to ``shown[key]`` (the crops figure)."""
    t0 = time.perf_counter()
    res = jaxreg.solve(problem, method, key=KEY, num_iters=iters, reference=ref, checkpoint=checkpoint,
                       checkpoint_every=100)
    img = res.image if composite is None else composite * problem.y + (1 - composite) * res.image
    jax.block_until_ready(img)
    wall = time.perf_counter() - t0
    if shown is not None:
        shown[key] = img
    traj = np.asarray(res.history["psnr"])
    out = scores(img, ref, multiband)
    every = max(1, len(traj) // 20)  # the PSNR trajectory at 20 points (the method's raw output; DIP's not composited)
    out.update(oracle_psnr=float(traj.max()), oracle_iter=int(traj.argmax()) + 1, iterations=int(res.num_iters),
               trajectory={int(j): float(traj[j - 1]) for j in range(every, len(traj) + 1, every)},
               compile_s=res.timings.get("compile_s"), run_s=res.timings.get("run_s"), wall_s=wall,
               resumed_from=res.timings.get("resumed_from", 0))
    return out


def fmt(d, keys=("psnr", "ssim")):
    return " / ".join(f"{d[k]:.2f}" if k not in ("ssim", "mssim") else f"{d[k]:.4f}" for k in keys)


# ------------------------------------------------------------------------------------------------ Table I
def ngr_variants(args):
    """``{row key: λ_t}``: the preset (``ngr``, λ_t = 0.5) and one column per ``--lam-t`` value."""
    extra = [float(v) for v in args.lam_t.split(",")] if args.lam_t else []
    return {"ngr": None, **{f"ngr_lt{v:g}": v for v in extra}}


def cmd_inpaint(args, root, env):
    rates = [float(r) for r in args.rates.split(",")]
    rows = []
    path = Path(args.out or C.RESULTS) / f"{inpaint_name(args)}.json"
    if args.resume and path.exists():  # keep finished runs of a run with the same size, budget and masks
        old = json.loads(path.read_text())
        if (old["args"]["size"], old["args"]["iters"], old["args"].get("mask", "pixel")) == (args.size, args.iters, args.mask):
            rows = old["rows"]
    variants = ngr_variants(args)
    images = VALIDATION_IMAGES if args.validation else RGB_IMAGES
    names = args.images.split(",") if args.images else list(images)
    shown = {}  # (image, rate) -> the images of this run (resumed rows kept none), for the crops figure
    for k, (name, rel) in enumerate(images.items()):
        if name not in names:
            continue
        if args.validation:  # scikit-image photographs, none of them a test image
            ref = jnp.asarray(data.sample_image(name, size=args.size))
        else:
            ref = jnp.asarray(centre_crop(root / rel, args.size) if args.crop else C.load_rgb(root / rel, args.size))
        for i, rate in enumerate(rates):
            mask = data.random_mask(jax.random.fold_in(KEY, 100 * (k * len(rates) + i) + i), ref.shape, rate,
                                    per_entry=args.mask == "entry")
            problem = problems.Inpaint(mask * ref, mask)
            row = next((r for r in rows if (r["image"], r["rate"]) == (name, rate)), None)
            if row is None:
                row = {"image": name, "rate": rate, "input": scores(problem.y, ref)}
                rows.append(row)
            todo = [key for key in (*variants, "dip") if key not in row]
            out = shown.setdefault((name, rate), {"input": problem.y, "reference": ref})
            for key in todo:
                ckpt = C.run_checkpoint(args, "reproduce_ngr", name, rate, key)  # --resume: inside the run too
                if key == "dip":
                    row["dip"] = run(dip_inpainting(), problem, ref, args.iters, composite=mask, checkpoint=ckpt,
                                     shown=out, key="dip")
                else:
                    lam_t = variants[key]
                    cfg = ngr.preset("rgb-inpainting", **({} if lam_t is None else {"lam_t": lam_t}))
                    row[key] = run(cfg, problem, ref, args.iters, checkpoint=ckpt, shown=out, key=key)
                write_inpaint(rows, rates, args, env)
                C.drop_checkpoint(ckpt)
            if todo:
                print(name, rate, {k: (round(v["psnr"], 2), round(v["oracle_psnr"], 2)) for k, v in row.items()
                                   if isinstance(v, dict) and "oracle_psnr" in v}, flush=True)
                write_inpaint(rows, rates, args, env)
            inpaint_crops(rows, shown, args)
    write_inpaint(rows, rates, args, env)  # with --resume and nothing left to run, this re-renders the tables


def inpaint_crops(rows, shown, args):
    """``<name>.png``: per (image, rate) of this run, the observed pixels, DIP, each NGR variant and the reference."""
    variants = [k for k in ngr_variants(args) if all(k in r for r in rows)]
    fig = []
    for r in rows:
        out = shown.get((r["image"], r["rate"]), {})
        keys = [k for k in ("dip", *variants) if k in out and k in r]
        if len(keys) == 1 + len(variants):
            label = {k: "DIP" if k == "dip" else "NGR" if k == "ngr" else f"NGR λ_t={k[6:]}" for k in keys}
            fig.append((f"{r['image']}, {r['rate']:.0%} observed",
                        [(f"observed\n{r['input']['psnr']:.2f} dB", out["input"])]
                        + [(f"{label[k]}\n{r[k]['psnr']:.2f} dB", out[k]) for k in keys]
                        + [("reference", out["reference"])]))
    C.crop_figure(inpaint_name(args), fig, args.out)


def inpaint_name(args):
    """Result file stem: ``ngr_inpaint[_validation][_crop][_pixel]_cpu``."""
    return ("ngr_inpaint" + ("_validation" if args.validation else "") + ("_crop" if args.crop else "")
            + ("_pixel" if args.mask == "pixel" else "") + "_cpu")


def centre_crop(path, size):
    """The centre ``size × size`` crop at full resolution (``--crop``: smoother per pixel than a resize)."""
    full = C.load_rgb(path)
    h, w = full.shape[:2]
    return full[(h - size) // 2:(h - size) // 2 + size, (w - size) // 2:(w - size) // 2 + size]


def write_inpaint(rows, rates, args, env):
    how = "centre crops at full resolution" if args.crop else "resized"
    masks = ("per-entry masks (each of the H×W×3 entries sampled independently, as the paper)" if args.mask == "entry"
             else "per-pixel masks shared by the colour channels")
    variants = [k for k in ngr_variants(args) if all(k in r for r in rows)]
    label = {k: "NGR" if k == "ngr" else f"NGR λ_t={k[6:]}" for k in variants}
    lines = ["# NGR vs DIP, RGB inpainting (Xu et al., Table I) at CPU scale", "", C.env_line(env), "",
             f"Images {how} to {args.size}×{args.size}; {masks}; {args.iters} iterations for every method; the image "
             "after the last iteration (no ground truth used). PSNR (dB) / SSIM (uniform 7×7). NGR: the "
             "`rgb-inpainting` preset (λ_t = 0.5); other λ_t columns, if any, change only λ_t. Oracle = best PSNR "
             "over the iterations (reports only).", ""]
    header = ["image", "SR", "input", "DIP"] + [label[k] for k in variants] + [f"{label[k]} − DIP" for k in variants] \
        + ["oracle DIP"] + [f"oracle {label[k]}" for k in variants]
    body = [[r["image"], f"{r['rate']:.0%}", fmt(r["input"]), fmt(r["dip"])] + [fmt(r[k]) for k in variants]
            + [f"{r[k]['psnr'] - r['dip']['psnr']:+.2f}" for k in variants]
            + [f"{r[k]['oracle_psnr']:.2f}" for k in ("dip", *variants)] for r in rows if "dip" in r]
    means = []
    for rate in rates:
        sel = [r for r in rows if r["rate"] == rate and "dip" in r]
        if not sel:
            continue
        keys = ("input", "dip", *variants)
        m = {k: float(np.mean([r[k]["psnr"] for r in sel])) for k in keys}
        s = {k: float(np.mean([r[k]["ssim"] for r in sel])) for k in keys}
        means.append({"rate": rate, "n": len(sel), "psnr": m, "ssim": s})
        body.append([f"**mean ({len(sel)})**", f"{rate:.0%}"] + [f"{m[k]:.2f} / {s[k]:.4f}" for k in keys]
                    + [f"{m[k] - m['dip']:+.2f}" for k in variants] + [""] * (1 + len(variants)))
        if rate in PAPER_SET5["ngr"] and not args.validation:
            d, n = PAPER_SET5["dip"][rate], PAPER_SET5["ngr"][rate]
            body.append(["paper, Set5 full size", f"{rate:.0%}", "—", f"{d[0]:.2f} / {d[1]:.3f}",
                         f"{n[0]:.2f} / {n[1]:.3f}"] + [""] * (len(variants) - 1) + [f"{n[0] - d[0]:+.2f}"]
                        + [""] * (2 * len(variants)))
    lines.append(C.table(header, body))
    timed = ("dip", *variants)
    lines += ["", "Time per run (compile + run): " + ", ".join(
        f"{label.get(m, 'DIP')} {np.mean([r[m]['compile_s'] for r in rows if m in r]):.1f} s + "
        f"{np.mean([r[m]['run_s'] for r in rows if m in r]):.1f} s" for m in timed)
        + f" (means over {len(rows)} cases; a compile time near 0 s means the solver compiled for the preset was "
        "reused: λ_t is a pytree leaf)."]
    lines += C.figure_link(inpaint_name(args), args.out, "observed, DIP, NGR, reference",
                           "What each returns (whole images, enlarged; the cases computed in the run that wrote the "
                           "figure)")
    C.write_results(inpaint_name(args), {"environment": env, "args": vars(args), "rows": rows, "means": means},
                    "\n".join(lines), args.out)


# ------------------------------------------------------------------------------------------------ video and HSI
def pan_video(image, frames, size, step=(1, 2)):
    """``frames`` grey ``size × size`` windows panned over ``image`` (``(T, H, W, 1)``)."""
    need = size + (frames - 1) * max(step)
    g = C.gray_square(C.to_gray(image), need)
    return np.stack([g[t * step[0]:t * step[0] + size, t * step[1]:t * step[1] + size] for t in range(frames)])


def multichannel_rows(args, kind, ref, cases, env):
    """Run NGR and DIP on each (task, problem, NGR config, DIP config, composite) of ``cases``.

    NGR takes the problem as it is (a video ``(T, H, W, 1)`` is stacked inside the method); DIP takes
    ``(H, W, C)`` images, so it gets the stacked problem (frames as channels, as deep-hs-prior)."""
    rows = []
    stack = lambda v: ngr.to_stack(jnp.asarray(v))  # noqa: E731
    for task, problem, ngr_cfg, dip_cfg, composite in cases:
        inpaint = isinstance(problem, problems.Inpaint)
        row = {"task": task, "input": scores(problem.initial_image() if inpaint else problem.y, ref, True)}
        row["ngr"] = run(ngr_cfg, problem, ref, args.iters, multiband=True)
        if inpaint:
            mask = stack(jnp.broadcast_to(problem.mask, ref.shape))
            flat = problems.Inpaint(stack(problem.y), mask)
        else:
            mask, flat = None, problems.Denoise(stack(problem.y))
        row["dip"] = run(dip_cfg, flat, stack(ref), args.iters, multiband=True, composite=mask if composite else None)
        print(kind, task, {k: round(v["psnr"], 2) for k, v in row.items() if isinstance(v, dict)}, flush=True)
        rows.append(row)
        jax.clear_caches()
    return rows


def write_multichannel(name, title, rows, args, env, notes):
    keys = ("mpsnr", "ssim", "sam", "ergas")
    header = ["task", "method", "MPSNR", "MSSIM", "SAM (°)", "ERGAS", "PSNR", "oracle PSNR", "compile + run"]
    body = []
    for r in rows:
        for m in ("input", "dip", "ngr"):
            d = r[m]
            body.append([r["task"], m.upper() if m != "input" else "input",
                         *(f"{d[k]:.2f}" if k != "ssim" else f"{d[k]:.4f}" for k in keys), f"{d['psnr']:.2f}",
                         f"{d['oracle_psnr']:.2f}" if "oracle_psnr" in d else "—",
                         f"{d['compile_s']:.1f} + {d['run_s']:.1f} s" if "run_s" in d else "—"])
    md = "\n".join([f"# {title}", "", C.env_line(env), "", *notes, "", C.table(header, body)])
    C.write_results(name, {"environment": env, "args": vars(args), "rows": rows}, md, args.out)


def cmd_video(args, root, env):
    image = C.load_rgb(root / "dip/inpainting_kate.png")
    video = jnp.asarray(pan_video(image, args.frames, args.size))  # (T, H, W, 1)
    t = video.shape[0]
    mask = jnp.stack([data.random_mask(jax.random.fold_in(KEY, i), video.shape[1:], 0.2) for i in range(t)])
    inpaint = problems.Inpaint(mask * video, mask)
    noisy = data.add_gaussian_noise(jax.random.fold_in(KEY, 99), video, 0.1)
    cases = [("inpainting, SR 20 %", inpaint, ngr.preset("multichannel-inpainting"), dip_inpainting(t), True),
             ("denoising, σ = 0.1", problems.Denoise(noisy, 0.1), ngr.preset("video-denoising"), dip_denoising(), None)]
    rows = multichannel_rows(args, "video", video, cases, env)
    write_multichannel("ngr_video_cpu", "NGR vs DIP on a grey video (Xu et al., Tables II and V) at CPU scale", rows,
                       args, env, [f"{t} frames of {args.size}×{args.size} panned over kate (2 px right, 1 px down per "
                                   f"frame); {args.iters} iterations for every method, final image, no ground truth "
                                   "used. Scored on the (H, W, T) stack (SAM: angle between the pixels' temporal "
                                   "profiles; ERGAS over frames). DIP sees the frames as channels. Oracle = best "
                                   "PSNR over the iterations."])


def cmd_hsi(args, root, env):
    cube = jnp.asarray(data.spectral_cube(C.load_rgb(root / "alr/castle.png", args.size), args.bands))
    mask = (jax.random.uniform(jax.random.fold_in(KEY, 1), cube.shape) < 0.1).astype(jnp.float32)
    inpaint = problems.Inpaint(mask * cube, mask)
    lines = max(1, round(35 * args.size / 200))  # the paper's 35 lines per band on ~200-px-wide cubes, scaled
    noisy = data.mixed_noise(jax.random.fold_in(KEY, 2), cube, lines=lines)
    cases = [("inpainting, SR 10 %", inpaint, ngr.preset("multichannel-inpainting"), dip_inpainting(args.bands),
              True),
             ("weak mixed noise", problems.Denoise(noisy), ngr.preset("hsi-mixed-denoising"), dip_denoising(), None)]
    rows = multichannel_rows(args, "hsi", cube, cases, env)
    write_multichannel("ngr_hsi_cpu", "NGR vs DIP on a hyperspectral cube (Xu et al., Tables III and VI) at CPU scale",
                       rows, args, env, [
                           f"Cube {args.size}×{args.size}×{args.bands}: castle's R, G, B as abundances × three smooth "
                           "synthetic endmember spectra (jaxreg.data.spectral_cube; not a measured HSI). Mixed noise: "
                           "jaxreg.data.mixed_noise defaults (per-band Gaussian σ ~ U[0.1, 0.4], 10 % impulse, "
                           f"stripes + deadlines on 20 % of the bands, {lines} lines each: the paper's 35 on ~200-px cubes, scaled). "
                           f"{args.iters} iterations, final image, no ground truth used."])


# ------------------------------------------------------------------------------------------------ deblurring
def cmd_deblur(args, root, env):
    ref = jnp.asarray(C.load_rgb(root / "alr/castle.png", args.size))
    kernel = np.load(root / f"alr/kernels/{args.kernel}.npy", allow_pickle=False).astype(np.float32)
    blurred = data.blur(ref, kernel, boundary="circular")
    y = data.add_gaussian_noise(jax.random.fold_in(KEY, 3), blurred, args.sigma)
    problem = problems.Deblur(y, kernel, boundary="circular")
    row = {"input": scores(y, ref)}
    cfg = methods.get("ngr-denoise", lam=args.ngr_lam, alpha=args.ngr_alpha, beta=args.ngr_beta,
                      gamma=args.ngr_gamma, mu_max=args.ngr_mu, mu12_max=args.ngr_mu, mu3_max=args.ngr_mu)
    row["ngr"] = run(cfg, problem, ref, args.iters)
    tv = {}
    for lam in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2):
        t0 = time.perf_counter()
        res = jaxreg.solve(problem, methods.get("tv", lam=lam), key=KEY, num_iters=300)
        tv[lam] = dict(scores(res.image, ref), wall_s=time.perf_counter() - t0)
    best = max(tv, key=lambda k: tv[k]["psnr"])
    row["tv"] = dict(tv[best], lam=best, grid={str(k): v["psnr"] for k, v in tv.items()})
    print(row, flush=True)
    body = [["input (blurred + noise)", fmt(row["input"]), "—"],
            [f"TV deconvolution (λ = {best}, best of a 5-point grid by PSNR: oracle)", fmt(row["tv"]),
             f"{row['tv']['wall_s']:.1f} s"],
            [f"NGR (ngr-denoise, λ = {args.ngr_lam}, {args.iters} iterations, final image)", fmt(row["ngr"]),
             f"{row['ngr']['compile_s']:.1f} + {row['ngr']['run_s']:.1f} s"]]
    md = "\n".join(["# NGR deblurring (beyond the NGR paper) vs TV deconvolution", "", C.env_line(env), "",
                    f"castle {args.size}×{args.size}, ALR kernel {args.kernel} (25×25), circular blur, Gaussian "
                    f"noise σ = {args.sigma}. NGR oracle PSNR (best iterate): {row['ngr']['oracle_psnr']:.2f} dB at "
                    f"iteration {row['ngr']['oracle_iter']}.", "",
                    C.table(["method", "PSNR / SSIM", "time"], body)])
    C.write_results("ngr_deblur_cpu", {"environment": env, "args": vars(args), "row": row}, md, args.out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("inpaint", "video", "hsi", "deblur"))
    ap.add_argument("--size", type=int, default=None, help="image size (64; deblur 128)")
    ap.add_argument("--iters", type=int, default=None, help="iterations per method (1000; deblur 500)")
    ap.add_argument("--rates", default="0.5,0.3,0.1")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--bands", type=int, default=16)
    ap.add_argument("--kernel", type=int, default=1)
    ap.add_argument("--sigma", type=float, default=0.01, help="deblur noise level")
    ap.add_argument("--ngr-lam", type=float, default=50.0)
    ap.add_argument("--ngr-alpha", type=float, default=1.0)
    ap.add_argument("--ngr-beta", type=float, default=150.0)
    ap.add_argument("--ngr-gamma", type=float, default=150.0)
    ap.add_argument("--ngr-mu", type=float, default=0.16)
    ap.add_argument("--images", default=None, help="inpaint: a subset of " + ",".join(RGB_IMAGES))
    ap.add_argument("--mask", choices=("entry", "pixel"), default="entry",
                    help="inpaint: per-entry sampling as the paper and its code (default), or per-pixel masks "
                         "shared by the colour channels")
    ap.add_argument("--lam-t", default=None,
                    help="inpaint: extra NGR columns with these λ_t values (comma-separated; the preset's 0.5 always runs)")
    ap.add_argument("--validation", action="store_true",
                    help="inpaint: the validation photographs (scikit-image astronaut, coffee) instead of the test images")
    ap.add_argument("--crop", action="store_true", help="inpaint: centre crops at full resolution instead of resizing")
    ap.add_argument("--resume", action="store_true", help="inpaint: keep the finished rows of the last run")
    C.add_io_args(ap)
    args = ap.parse_args(argv)
    args.size = args.size or (128 if args.command == "deblur" else 64)
    args.iters = args.iters or (500 if args.command == "deblur" else 1000)
    root = C.require_data(args.data, f"reproduce_ngr {args.command}")
    env = C.environment()
    {"inpaint": cmd_inpaint, "video": cmd_video, "hsi": cmd_hsi, "deblur": cmd_deblur}[args.command](args, root, env)


if __name__ == "__main__":
    main()
