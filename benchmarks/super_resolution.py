"""Super-resolution ×4 on real images: bicubic, TV, DIP, DIP-TV and DRP side by side.

    PYTHONPATH=. python benchmarks/super_resolution.py [--size 48] [--side 128] [--seeds 3]
        [--dip-iters 2000] [--drp-iters 2000] [--images baby,butterfly,castle,f16]

Ground truth: the centre ``--size``² crop of each image resized (Lanczos) so that its shorter side is ``--side``
(a CPU scale: the authors run whole Set5/Set14 images on a GPU).  The low-resolution input is
``jaxreg.data.downsample(x, 4)``, the Lanczos-2 model of the deep image prior code (replicate boundary), which is
also the forward model every method inverts (``SuperResolution(y, 4)``).  No noise.

Methods and settings:

* ``bicubic`` — Keys' cubic interpolation of the input.
* ``tv`` — isotropic TV-ADMM, 300 iterations; λ chosen on the validation images (``--validation``, never the
  test images) as the grid value with the best mean PSNR.
* ``dip`` — the authors' super-resolution notebook (``dip.preset("sr")``: lr 0.01, input noise 0.03, no averaging,
  the image after ``--dip-iters`` iterations; the notebook runs 2000).
* ``dip-tv`` — the same with DIP-TV's TV term; its weight is chosen on the first validation image from
  ``--dip-tv-grid`` (one seed, ``--dip-iters`` iterations).
* ``drp`` — the DRP authors' SR script (``drp.preset("sr")``: 1-channel N(0,1)·0.1 seed, width 128, skip 4,
  lr 0.5, TV weight 0.75); the script runs 5000 epochs, here ``--drp-iters``.

Deep priors run ``--seeds`` keys (``jax.random.key(seed)``); tables give the mean ± standard deviation over seeds.
PSNR on the Y channel (BT.601) with a 4-pixel border crop, as SR papers, and RGB PSNR over the whole image.
Time to DIP's quality: the first iteration at which DRP's RGB PSNR reaches DIP's final RGB PSNR (mean over
seeds), times DRP's seconds per iteration, against DIP's run time; run times exclude compilation (reported
apart) and include the per-iteration PSNR against the reference, which is negligible at this size.

Writes ``benchmarks/results/super_resolution.{json,md}`` and ``super_resolution.png`` (crops: LR nearest-upscaled,
bicubic, each method, ground truth).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

import jaxreg  # noqa: E402
from jaxreg import data, methods, metrics, problems  # noqa: E402
from jaxreg.methods import dip, drp  # noqa: E402

IMAGES = {"baby": "drp/set5_baby.png", "butterfly": "alr/butterfly.png", "castle": "alr/castle.png",
          "f16": "dip/denoising_F16_GT.png", "kate": "dip/restoration_kate.png", "vase": "dip/inpainting_vase.png",
          "library": "dip/inpainting_library.png"}
FACTOR = 4


def load_hr(root: Path, name: str, side: int, size: int) -> np.ndarray:
    with Image.open(root / IMAGES[name]) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = side / min(w, h)
        im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.Resampling.LANCZOS)
        arr = np.asarray(im).astype(np.float32) / 255.0
    h, w = arr.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return arr[top:top + size, left:left + size]


def scores(img, ref):
    img = jnp.clip(img, 0.0, 1.0)
    return {"psnr_rgb": float(metrics.psnr(img, ref, data_range=1.0)),
            "psnr_y": float(metrics.psnr_y(img, ref, data_range=1.0, border=FACTOR))}


def run(method, problem, ref, iters, seed):
    t0 = time.perf_counter()
    res = jaxreg.solve(problem, method, key=jax.random.key(seed), num_iters=iters, reference=ref)
    wall = time.perf_counter() - t0
    out = scores(res.image, ref)
    traj = np.asarray(res.history["psnr"], np.float64)
    out.update(iters=int(res.num_iters), compile_s=res.timings["compile_s"], run_s=res.timings["run_s"],
               wall_s=wall, trajectory=traj.round(3).tolist())
    return out, np.asarray(jnp.clip(res.image, 0.0, 1.0))


def tv_lambda(root, args):
    grid = [float(v) for v in np.geomspace(1e-4, 3e-2, 8)]
    per_image = []
    for name in args.validation.split(","):
        x = jnp.asarray(load_hr(root, name, args.side, args.size))
        p = problems.SuperResolution(data.downsample(x, FACTOR), FACTOR)
        sw = jaxreg.sweep(p, methods.get("tv"), {"lam": grid}, key=jax.random.key(0), num_iters=300)
        per_image.append([float(metrics.psnr(jnp.clip(im, 0, 1), x, data_range=1.0)) for im in sw.images])
    mean = np.mean(per_image, axis=0)
    return grid[int(np.argmax(mean))], {"grid": grid, "psnr": per_image, "mean": mean.tolist()}


def dip_tv_weight(root, args):
    name = args.validation.split(",")[0]
    x = jnp.asarray(load_hr(root, name, args.side, args.size))
    p = problems.SuperResolution(data.downsample(x, FACTOR), FACTOR)
    grid = [float(v) for v in args.dip_tv_grid.split(",")]
    vals = []
    for w in grid:
        r, _ = run(dip.preset("sr", method="dip-tv", tv_weight=w), p, x, args.dip_iters, 0)
        vals.append(r["psnr_rgb"])
        print(f"  dip-tv validation ({name}) tv_weight {w:g}: {r['psnr_rgb']:.2f} dB", flush=True)
    return grid[int(np.argmax(vals))], {"image": name, "grid": grid, "psnr": vals}


def mean_std(rows, key):
    v = np.asarray([r[key] for r in rows], np.float64)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def label(img: np.ndarray, text: str, scale: int) -> Image.Image:
    u8 = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
    im = Image.fromarray(u8).resize((u8.shape[1] * scale, u8.shape[0] * scale), Image.Resampling.NEAREST)
    canvas = Image.new("RGB", (im.width, im.height + 14), "white")
    canvas.paste(im, (0, 14))
    ImageDraw.Draw(canvas).text((2, 1), text, fill="black")
    return canvas


def figure(panels, path: Path, scale: int = 3):
    rows = [[label(img, text, scale) for text, img in row] for row in panels]
    w = max(sum(t.width + 4 for t in r) for r in rows)
    h = sum(r[0].height + 4 for r in rows)
    sheet = Image.new("RGB", (w, h), "white")
    y = 0
    for r in rows:
        x = 0
        for t in r:
            sheet.paste(t, (x, y))
            x += t.width + 4
        y += r[0].height + 4
    sheet.save(path)
    print(f"wrote {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default="baby,butterfly,castle,f16")
    ap.add_argument("--validation", default="kate,vase", help="images for choosing TV's λ and DIP-TV's weight")
    ap.add_argument("--size", type=int, default=48, help="HR crop side (multiple of 4, at least 48)")
    ap.add_argument("--side", type=int, default=128, help="shorter side the image is resized to before cropping")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--dip-iters", type=int, default=2000)
    ap.add_argument("--drp-iters", type=int, default=2000)
    ap.add_argument("--dip-tv-grid", default="1e-3,1e-2,1e-1")
    C.add_io_args(ap)
    args = ap.parse_args(argv)
    root = C.require_data(args.data, "super_resolution")
    env = C.environment()
    out_dir = Path(args.out) if args.out else C.RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)

    lam, tv_val = tv_lambda(root, args)
    print(f"TV λ chosen on {args.validation}: {lam:.3g}", flush=True)
    w_tv, dip_tv_val = dip_tv_weight(root, args)
    print(f"DIP-TV weight chosen: {w_tv:g}", flush=True)
    configs = {"bicubic": (methods.get("bicubic"), 1, 1), "tv": (methods.get("tv", lam=lam), 300, 1),
               "dip": (dip.preset("sr"), args.dip_iters, args.seeds),
               "dip-tv": (dip.preset("sr", method="dip-tv", tv_weight=w_tv), args.dip_iters, args.seeds),
               "drp": (drp.preset("sr"), args.drp_iters, args.seeds)}
    rows, panels = [], []
    for name in args.images.split(","):
        x = jnp.asarray(load_hr(root, name, args.side, args.size))
        y = data.downsample(x, FACTOR)
        p = problems.SuperResolution(y, FACTOR)
        row = {"image": name, "runs": {}}
        images = {}
        for mname, (m, iters, seeds) in configs.items():
            row["runs"][mname] = []
            for seed in range(seeds):
                r, img = run(m, p, x, iters, seed)
                row["runs"][mname].append(r)
                if seed == 0:
                    images[mname] = img
                print(f"{name} {mname} seed {seed}: RGB {r['psnr_rgb']:.2f} Y {r['psnr_y']:.2f} dB, "
                      f"compile {r['compile_s']:.1f} s run {r['run_s']:.1f} s", flush=True)
        dip_final = mean_std(row["runs"]["dip"], "psnr_rgb")[0]
        ttq = []
        for r in row["runs"]["drp"]:
            hit = np.nonzero(np.asarray(r["trajectory"]) >= dip_final)[0]
            tau = r["run_s"] / r["iters"]
            ttq.append(None if not hit.size else {"iter": int(hit[0]) + 1, "seconds": (int(hit[0]) + 1) * tau})
        row["drp_time_to_dip"] = {"dip_final_psnr": dip_final, "per_seed": ttq,
                                  "dip_run_s": mean_std(row["runs"]["dip"], "run_s")[0]}
        rows.append(row)
        nearest = np.asarray(data.upsample(y, FACTOR, method="nearest"))
        panels.append([("LR (nearest)", nearest)] + [(k, v) for k, v in images.items()] + [("ground truth", np.asarray(x))])

        # rewrite the results after every image (a killed run keeps the images done)
        names = list(configs)
        body, body_y, body_t = [], [], []
        for r in rows:
            body.append([r["image"]] + ["{:.2f} ± {:.2f}".format(*mean_std(r["runs"][k], "psnr_rgb")) for k in names])
            body_y.append([r["image"]] + ["{:.2f} ± {:.2f}".format(*mean_std(r["runs"][k], "psnr_y")) for k in names])
            t = r["drp_time_to_dip"]
            hits = [h for h in t["per_seed"] if h]
            drp_s = np.mean([h["seconds"] for h in hits]) if hits else None
            body_t.append([r["image"], f"{t['dip_final_psnr']:.2f}", C.fmt_s(t["dip_run_s"]),
                           f"{len(hits)}/{len(t['per_seed'])}",
                           "—" if not hits else f"{np.mean([h['iter'] for h in hits]):.0f} · {C.fmt_s(drp_s)}",
                           "—" if not hits else f"{t['dip_run_s'] / drp_s:.1f}×"])
        comp = [[k, C.fmt_s(np.mean([r["compile_s"] for row_ in rows for r in row_["runs"][k]])),
                 C.fmt_s(np.mean([r["run_s"] / r["iters"] for row_ in rows for r in row_["runs"][k]]))]
                for k in names]
        md = "\n".join([
            f"# Super-resolution ×{FACTOR}, {args.size}×{args.size} crops (CPU scale)", "",
            f"Recorded {C.env_line(env)}. Ground truth: the centre {args.size}² crop of each image resized to a "
            f"shorter side of {args.side}; input `data.downsample(x, {FACTOR})` (Lanczos-2, replicate boundary, the "
            "deep image prior code's downsampler), no noise. Deep priors: mean ± std over "
            f"{args.seeds} seeds; bicubic and TV are deterministic. TV: λ = {lam:.3g} (best mean PSNR on "
            f"{args.validation}), 300 iterations. DIP: the authors' SR notebook settings, {args.dip_iters} iterations. "
            f"DIP-TV: same, TV weight {w_tv:g} (chosen on {dip_tv_val['image']}). DRP: the authors' SR script "
            f"settings, {args.drp_iters} iterations.", "",
            "## PSNR (RGB, whole image), dB", "", C.table(["image"] + names, body), "",
            f"## PSNR (Y channel, {FACTOR}-pixel border cropped), dB", "", C.table(["image"] + names, body_y), "",
            "## DRP's time to DIP's quality", "",
            "DIP's final RGB PSNR (mean over seeds) and run time; the seeds of DRP that reach it, the mean iteration "
            "and time at which they do, and the speed-up (DIP run time / DRP time to reach it).", "",
            C.table(["image", "DIP final", "DIP run", "DRP seeds reaching it", "DRP iter · time", "speed-up"], body_t),
            "", "## Compile time and seconds per iteration (mean over runs)", "",
            C.table(["method", "compile", "run per iteration"], comp), "",
            "Crops: `super_resolution.png` (rows: images; columns: LR nearest-upscaled, each method at seed 0, "
            "ground truth; 3× nearest magnification).", ""])
        fig = {"benchmark": "super_resolution", "environment": env, "command": " ".join(sys.argv),
               "arguments": vars(args), "jaxreg": jaxreg.__version__, "commit": C.git_commit(), "tv_lambda": lam,
               "tv_validation": tv_val, "dip_tv_weight": w_tv, "dip_tv_validation": dip_tv_val, "rows": rows}
        C.write_results("super_resolution", fig, md, args.out)
        figure(panels, out_dir / "super_resolution.png")


if __name__ == "__main__":
    main()
