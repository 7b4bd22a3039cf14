"""ALR (Prost, Houdard, Almansa & Papadakis, "Learning local regularization for variational image restoration",
SSVM 2021) at CPU scale: the shipped critic, denoising, noise-level generalisation (Table 1), deblurring.

    PYTHONPATH=. python benchmarks/reproduce_alr.py train        [--steps 15000]   # writes jaxreg/weights/alr_cnn15.msgpack
    PYTHONPATH=. python benchmarks/reproduce_alr.py denoise      [--size 192]      # Table 2 against tuned TV and BM3D
    PYTHONPATH=. python benchmarks/reproduce_alr.py generalise   [--steps 3000]    # Table 1: critics at two fixed σ and a range
    PYTHONPATH=. python benchmarks/reproduce_alr.py deblur       [--size 128]      # the 12 kernels against Wiener and TV

Training photos: scikit-image's bundled photographs that are public domain or CC0 (list below); the test images
come from ``../shared/data`` and are never used for training.  Results go to ``benchmarks/results/alr_*``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

import jaxreg  # noqa: E402
import jaxreg.methods.alr  # noqa: E402,F401
import jaxreg.methods.wiener  # noqa: E402,F401
import jaxreg.regularizers.critic  # noqa: E402,F401
from jaxreg.learn import ImageBank, train_patch_critic  # noqa: E402
from jaxreg.nets import CriticCNN15  # noqa: E402
from jaxreg.regularizers.critic import SHIPPED, LearnedCritic  # noqa: E402

# scikit-image's bundled photographs whose docstrings state public domain or CC0 (grey ones are used as grey RGB)
TRAIN_PHOTOS = ("astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
                "hubble_deep_field", "immunohistochemistry", "rocket")
PAPER_SIGMA_RANGE = (0.05, 0.30)


def training_bank() -> ImageBank:
    import skimage.data
    images = []
    for name in TRAIN_PHOTOS:
        a = np.asarray(getattr(skimage.data, name)())
        if a.ndim == 2:
            a = np.repeat(a[..., None], 3, axis=-1)
        images.append(np.ascontiguousarray(a[..., :3]).astype(np.uint8))
    return ImageBank(images, names=TRAIN_PHOTOS)


def train_critic(steps: int, sigma, seed: int, progress: bool = True):
    bank = training_bank()
    module = CriticCNN15()
    result = train_patch_critic(jax.random.key(seed), bank, module=module, sigma=sigma, steps=steps,
                                progress=progress)
    info = {"training": dict(result.settings, seed=seed, data="scikit-image bundled photos (public domain / CC0): "
                             + ", ".join(TRAIN_PHOTOS), compile_s=round(result.timings["compile_s"], 1),
                             run_s=round(result.timings["run_s"], 1), device=C.environment()["device"],
                             jax=jax.__version__,
                             final_wasserstein_mean_last_500=float(np.mean(result.history["wasserstein"][-500:])),
                             final_gp_mean_last_500=float(np.mean(result.history["gp"][-500:])))}
    return LearnedCritic.from_params(module, result.params, **info), result


def report(name: str, fig: dict, title: str, text: str, header: list, rows: list, after: str = "") -> None:
    """Write ``<name>.json`` (``fig``) and ``<name>.md`` and print the markdown: ``title``, the environment line of
    ``fig["environment"]``, ``text``, the table of ``rows`` under ``header``, then ``after``."""
    md = f"# {title}\n\n{C.env_line(fig['environment'])}\n\n{text}\n\n" + C.table(header, rows) + "\n" + after
    C.write_results(name, fig, md)
    print(md)


def cmd_train(args):
    critic, result = train_critic(args.steps, PAPER_SIGMA_RANGE, args.seed)
    out = Path(args.out) if args.out else SHIPPED
    critic.save(out)
    h = result.history
    marks = sorted({0, len(h["loss"]) // 4, len(h["loss"]) // 2, 3 * len(h["loss"]) // 4, len(h["loss"]) - 1})
    rows = [[str(i + 1), f"{h['loss'][i]:+.4f}", f"{np.mean(h['wasserstein'][max(0, i - 99):i + 1]):.4f}",
             f"{np.mean(h['gp'][max(0, i - 99):i + 1]):.4f}", f"{h['lr'][i]:.2e}"] for i in marks]
    fig = {"environment": C.environment(), "steps": args.steps, "timings": result.timings, "config": critic.config,
           "history_every_100": {k: v[::100].tolist() for k, v in h.items()}}
    report("alr_train_cpu", fig, "ALR: the shipped critic",
           f"`cnn15` (code variant, 154,368 parameters) trained by WGAN-GP (μ = 5) for {args.steps} steps, batch 32, "
           f"Adam 1e-3 → 1e-4, 13×13 patches with random flips, noisy patches σ ~ U{list(PAPER_SIGMA_RANGE)} per "
           f"patch; data: {', '.join(TRAIN_PHOTOS)} (scikit-image, public domain / CC0). "
           f"Compile {result.timings['compile_s']:.1f} s, run {result.timings['run_s']:.0f} s "
           f"({1e3 * result.timings['run_s'] / args.steps:.1f} ms per step). Written to "
           f"`{out.relative_to(C.HERE.parent) if out.is_relative_to(C.HERE.parent) else out}`.",
           ["step", "loss", "W (mean of 100)", "GP (mean of 100)", "lr"], rows)


# ------------------------------------------------------------------------------------------------ test images
def test_images(root: Path, size: int) -> dict:
    """Held-out real RGB images (none is a training photo): centre ``size``² crops at full resolution."""
    paths = {"F-16": root / "dip" / "denoising_F16_GT.png", "baby": root / "drp" / "set5_baby.png",
             "butterfly": root / "alr" / "butterfly.png", "castle": root / "alr" / "castle.png",
             "kate": root / "dip" / "inpainting_kate.png"}
    out = {}
    for name, path in paths.items():
        with Image.open(path) as im:
            out[name] = np.asarray(im.convert("RGB"), np.float32) / 255.0
    with np.load(root / "drp" / "peppers_clean.npz", allow_pickle=False) as z:
        out["peppers"] = np.asarray(z["arr_0"], np.float32) / 255.0
    crops = {}
    for name, a in out.items():
        h, w = a.shape[:2]
        s = min(size, h, w)
        crops[name] = np.ascontiguousarray(a[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s])
    return crops


def psnr(x, ref, border: int = 0):
    x, ref = np.clip(np.asarray(x), 0, 1), np.asarray(ref)
    if border:
        x, ref = x[border:-border, border:-border], ref[border:-border, border:-border]
    return float(jaxreg.metrics.psnr(x, ref, data_range=1.0))


def ssim(x, ref):
    return float(jaxreg.metrics.ssim(np.clip(np.asarray(x), 0, 1), np.asarray(ref), data_range=1.0))


def run_alr(problem, critic, lam, iters=50, data_term="code"):
    method = jaxreg.methods.get("alr", critic=critic, lam=lam, data_term=data_term)
    r = jaxreg.solve(problem, method, key=jax.random.key(0), num_iters=iters)
    return np.asarray(r.image), r.timings


def tv_grid(problems, refs, lams, iters, border=0):
    """TV-ADMM (isotropic) on every problem for every λ in one vmapped call per problem; ``(len(lams), n)`` PSNR."""
    scores, images, seconds = [], [], 0.0
    for prob, ref in zip(problems, refs):
        sw = jaxreg.sweep(prob, jaxreg.methods.get("tv"), grid={"lam": lams}, key=jax.random.key(0),
                          num_iters=iters)
        seconds += sw.timings["run_s"]
        scores.append([psnr(sw.images[i], ref, border) for i in range(len(lams))])
        images.append(np.asarray(sw.images))
    return np.asarray(scores).T, images, seconds


def bm3d_denoise(noisy, sigma):
    try:
        import bm3d
    except ImportError:
        return None
    return np.asarray(bm3d.bm3d(np.asarray(noisy, np.float64), sigma_psd=sigma), np.float32)


# ------------------------------------------------------------------------------------------------ calibrate λ
CAL_SIGMAS = (0.05, 0.1, 0.2, 0.3, 0.4)
CAL_LAMS = (0.003, 0.006, 0.01, 0.02, 0.035, 0.05, 0.08, 0.12, 0.2, 0.35)


def validation_crops(root: Path, size: int) -> dict:
    """Validation images (DIP's library and vase; neither a training photo nor a test image): four crops."""
    out = {}
    for name in ("library", "vase"):
        with Image.open(root / "dip" / f"inpainting_{name}.png") as im:
            a = np.asarray(im.convert("RGB"), np.float32) / 255.0
        h, w = a.shape[:2]
        for tag, (top, left) in (("centre", ((h - size) // 2, (w - size) // 2)), ("corner", (h // 5, w // 5))):
            out[f"{name}-{tag}"] = np.ascontiguousarray(a[top:top + size, left:left + size])
    return out


def cmd_calibrate(args):
    """Choose λ per σ for a critic on validation crops; store the table in the checkpoint (``lam_by_sigma``)."""
    root = C.require_data(args.data, "ALR λ calibration")
    path = Path(args.critic) if args.critic else SHIPPED
    critic = LearnedCritic.load(path)
    crops = validation_crops(root, args.size)
    table, scores = {}, {}
    for sigma in CAL_SIGMAS:
        psnrs = []
        for j, (name, ref) in enumerate(crops.items()):
            y = np.asarray(ref + sigma * jax.random.normal(jax.random.key(500 + j), ref.shape))
            prob = jaxreg.problems.Denoise(y, sigma=sigma)  # one λ at a time: faster than a vmapped grid on CPU
            psnrs.append([psnr(run_alr(prob, critic, lam)[0], ref) for lam in CAL_LAMS])
        mean = np.mean(psnrs, axis=0)
        table[str(sigma)] = float(CAL_LAMS[int(np.argmax(mean))])
        scores[str(sigma)] = mean.tolist()
        print(f"σ {sigma}: mean PSNR per λ {np.round(mean, 2).tolist()} → λ {table[str(sigma)]}", flush=True)
    config = critic.config
    config["lam_by_sigma"] = {"table": table, "chosen_on": list(crops), "crop": args.size, "lams": list(CAL_LAMS),
                              "iterations": 50, "data_term": "code"}
    LearnedCritic(critic.params, config).save(path)
    rows = [[s, f"{table[s]}"] + [f"{v:.2f}" for v in scores[s]] for s in table]
    fig = {"environment": C.environment(), "table": table, "scores": scores, "crops": list(crops),
           "lams": list(CAL_LAMS)}
    report("alr_calibrate_cpu", fig, "ALR: λ per noise level for the shipped critic",
           f"Mean PSNR (dB) of ALR denoising (50 iterations, code data term) on {len(crops)} validation crops "
           f"({', '.join(crops)}, {args.size}²), per λ; the best λ is stored in the checkpoint and used when λ is not "
           f"given. Paper (its critic): λ = 0.15 / 0.35 / 1 for σ = 0.1 / 0.2 / 0.4.",
           ["σ", "chosen λ"] + [f"λ {l}" for l in CAL_LAMS], rows)


# ------------------------------------------------------------------------------------------------ denoise
TV_LAMS = (0.02, 0.03, 0.045, 0.065, 0.09, 0.12, 0.16, 0.22, 0.3)


CROPS_SIGMA = 0.2  # the noise level the crops figure shows


def cmd_denoise(args):
    root = C.require_data(args.data, "ALR denoising benchmark")
    critic = LearnedCritic.load(args.critic) if args.critic else jaxreg.regularizers.critic.shipped_critic()
    images = test_images(root, args.size)
    names = list(images)
    rows, fig = [], {"environment": C.environment(), "size": args.size, "critic": critic.config, "results": {}}
    shown = []  # the crops figure: σ = CROPS_SIGMA, every image
    for sigma in (0.1, 0.2, 0.4):
        refs = [images[n] for n in names]
        noisy = [np.asarray(r + sigma * jax.random.normal(jax.random.key(i + 1), r.shape)) for i, r in enumerate(refs)]
        probs = [jaxreg.problems.Denoise(y, sigma=sigma) for y in noisy]
        lam = float(jaxreg.methods.alr.default_lam(sigma, critic))  # the critic's table (validation crops)
        lam_paper = jaxreg.methods.alr.paper_lam(sigma)
        alr_p, alr_s, alr_t, pap_p, alr_img = [], [], [], [], []
        for prob, ref in zip(probs, refs):
            img, t = run_alr(prob, critic, lam)
            alr_img.append(img)
            alr_p.append(psnr(img, ref))
            alr_s.append(ssim(img, ref))
            alr_t.append(t["run_s"])
            pap_p.append(psnr(run_alr(prob, critic, lam_paper)[0], ref))
        tv_scores, tv_images, tv_s = tv_grid(probs, refs, list(TV_LAMS), args.tv_iters)
        best = int(np.argmax(tv_scores.mean(axis=1)))
        tv_p = tv_scores[best].tolist()
        tv_ss = [ssim(tv_images[j][best], refs[j]) for j in range(len(refs))]
        b_p, b_s, b_t, b_img = [], [], [], []
        for y, ref in zip(noisy, refs):
            t0 = time.perf_counter()
            out = bm3d_denoise(y, sigma)
            if out is None:
                break
            b_img.append(out)
            b_t.append(time.perf_counter() - t0)
            b_p.append(psnr(out, ref))
            b_s.append(ssim(out, ref))
        inp = [psnr(y, r) for y, r in zip(noisy, refs)]
        fig["results"][str(sigma)] = {"images": names, "input_psnr": inp, "alr_lambda": lam, "alr_psnr": alr_p,
                                      "paper_lambda": lam_paper, "alr_paper_lambda_psnr": pap_p,
                                      "alr_ssim": alr_s, "alr_run_s": alr_t, "tv_lambda": TV_LAMS[best],
                                      "tv_grid": list(TV_LAMS), "tv_grid_mean_psnr": tv_scores.mean(axis=1),
                                      "tv_psnr": tv_p, "tv_ssim": tv_ss, "bm3d_psnr": b_p or None,
                                      "bm3d_ssim": b_s or None, "bm3d_run_s": b_t or None}
        for j, n in enumerate(names):
            rows.append([f"{sigma}", n, f"{inp[j]:.2f}", f"{alr_p[j]:.2f} / {alr_s[j]:.3f}", f"{pap_p[j]:.2f}",
                         f"{tv_p[j]:.2f} / {tv_ss[j]:.3f}",
                         f"{b_p[j]:.2f} / {b_s[j]:.3f}" if b_p else "not installed"])
        rows.append([f"**{sigma}**", "**mean**", f"{np.mean(inp):.2f}",
                     f"**{np.mean(alr_p):.2f} / {np.mean(alr_s):.3f}**", f"{np.mean(pap_p):.2f}",
                     f"{np.mean(tv_p):.2f} / {np.mean(tv_ss):.3f}",
                     f"{np.mean(b_p):.2f} / {np.mean(b_s):.3f}" if b_p else "—"])
        print(rows[-1], flush=True)
        if sigma == CROPS_SIGMA:
            for j, n in enumerate(names):
                shown.append((f"{n}, σ {sigma}", [(f"noisy\n{inp[j]:.2f} dB", noisy[j]),
                                                  (f"ALR\n{alr_p[j]:.2f} dB", alr_img[j]),
                                                  (f"TV (tuned)\n{tv_p[j]:.2f} dB", tv_images[j][best])]
                              + ([(f"BM3D\n{b_p[j]:.2f} dB", b_img[j])] if b_img else []) + [("clean", refs[j])]))
    C.crop_figure("alr_denoise_cpu", shown)
    res = fig["results"]
    report("alr_denoise_cpu", fig, "ALR denoising (Prost et al., Table 2) at CPU scale",
           f"Held-out real images ({', '.join(names)}; none is a training photo), centre {args.size}×{args.size} "
           f"crops, white Gaussian noise (not clipped). ALR: the shipped critic "
           f"({critic.config['training']['steps']} steps), 50 Adam iterations, the code's data term, λ from the critic's "
           f"table (chosen on validation crops, not these images): "
           + ", ".join(f"σ {s}: λ {res[s]['alr_lambda']:.3g}" for s in res)
           + f"; the column 'paper λ' uses the paper's 0.15 / 0.35 / 1 with the same critic. TV: isotropic TV-ADMM, {args.tv_iters} iterations, λ chosen per σ from "
           f"{list(TV_LAMS)} by the best mean PSNR on these same images (an oracle tuning, in TV's favour): "
           + ", ".join(f"σ {s}: λ {res[s]['tv_lambda']}" for s in res) + ". BM3D: the `bm3d` package "
           "(sigma_psd = σ). Cells: PSNR (dB) / SSIM. Paper (CBSD68): ALR 28.85 / 24.88 / 21.58, "
           "BM3D 28.26 / 24.69 / 20.25.",
           ["σ", "image", "input", "ALR", "ALR, paper λ (PSNR)", "TV (tuned)", "BM3D"], rows,
           after="\nALR run time per image (after compilation): "
           + ", ".join(f"σ {s}: {np.mean(res[s]['alr_run_s']):.1f} s" for s in res) + ".\n"
           + "\n".join(C.figure_link("alr_denoise_cpu", None, "noisy, ALR, TV, BM3D, clean",
                                     f"What each returns at σ {CROPS_SIGMA} (whole crops, enlarged)")))


# ------------------------------------------------------------------------------------------------ Table 1
SIGMA_IMG = (0.05, 0.1, 0.2, 0.3, 0.4)  # §4.1 (whose λ = 0.15 … 1 belong to the authors' critic)


def cmd_generalise(args):
    root = C.require_data(args.data, "ALR noise-level generalisation benchmark")
    images = test_images(root, args.size)
    names = [n for n in ("F-16", "baby", "butterfly", "castle")]
    refs = [images[n] for n in names]
    trains = [("0.1", 0.1), ("0.2", 0.2), ("[0.05, 0.3]", (0.05, 0.30))]
    shipped = jaxreg.regularizers.critic.shipped_critic()
    fig = {"environment": C.environment(), "size": args.size, "steps": args.steps, "images": names, "results": {}}
    rows = []
    for label, sigma_train in trains:
        critic, result = train_critic(args.steps, sigma_train, args.seed, progress=False)
        row, cell = [label], {}
        for s_img in SIGMA_IMG:
            lam = float(jaxreg.methods.alr.default_lam(s_img, shipped))  # the same λ for the three critics
            ps = []
            for j, ref in enumerate(refs):
                y = np.asarray(ref + s_img * jax.random.normal(jax.random.key(100 + j), ref.shape))
                img, _ = run_alr(jaxreg.problems.Denoise(y, sigma=s_img), critic, lam)
                ps.append(psnr(img, ref))
            cell[str(s_img)] = ps
            row.append(f"{np.mean(ps):.2f}")
        fig["results"][label] = {"psnr": cell, "train_s": result.timings["run_s"]}
        rows.append(row)
        print(row, flush=True)
    report("alr_generalise_cpu", fig, "ALR noise-level generalisation (Prost et al., Table 1) at CPU scale",
           f"Three `cnn15` critics trained on the same photos for {args.steps} steps each (σ_train fixed 0.1, fixed 0.2, "
           f"or drawn per patch from [0.05, 0.3]); mean PSNR (dB) of ALR denoising on {', '.join(names)} "
           f"(centre {args.size}² crops), 50 iterations, λ per σ_img from the shipped critic's table (chosen on "
           f"validation crops; the same λ for the three critics): "
           + ", ".join(f"{s}: {float(jaxreg.methods.alr.default_lam(s, shipped)):.3g}" for s in SIGMA_IMG) + ".",
           ["σ_train \\ σ_img"] + [str(s) for s in SIGMA_IMG], rows)


# ------------------------------------------------------------------------------------------------ deblur
def cmd_deblur(args):
    root = C.require_data(args.data, "ALR deblurring benchmark")
    critic = jaxreg.regularizers.critic.shipped_critic()
    images = test_images(root, args.size)
    names = ["butterfly", "castle"]
    kernels = [np.load(root / "alr" / "kernels" / f"{i}.npy", allow_pickle=False).astype(np.float32)
               for i in range(1, 13)]
    noise = args.noise
    border = kernels[0].shape[0] // 2

    def observe(ref, k, seed):
        blurred = np.asarray(jaxreg.data.blur(ref, k, boundary="replicate"))
        return np.clip(blurred + noise * np.asarray(jax.random.normal(jax.random.key(seed), ref.shape)), 0, 1)

    # hyperparameters chosen on a validation crop (DIP's library image: neither a training photo nor a test image)
    val = validation_crops(root, args.size)["library-centre"]
    yv = observe(val, kernels[0], 999)
    alr_lams, wiener_bal, tv_lams = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2), (1e-3, 3e-3, 1e-2, 3e-2, 0.1), (0.003, 0.01, 0.03, 0.1)
    pv = jaxreg.problems.Deblur(yv, kernels[0], boundary="replicate")
    alr_lam = max(alr_lams, key=lambda l: psnr(run_alr(pv, critic, l)[0], val, border))
    pc = jaxreg.problems.Deblur(yv, kernels[0], boundary="circular")
    sw = jaxreg.sweep(pc, jaxreg.methods.get("wiener"), grid={"balance": list(wiener_bal)}, key=jax.random.key(0),
                      num_iters=1)
    bal = wiener_bal[int(np.argmax([psnr(sw.images[i], val, border) for i in range(len(wiener_bal))]))]
    sw = jaxreg.sweep(pv, jaxreg.methods.get("tv"), grid={"lam": list(tv_lams)}, key=jax.random.key(0),
                      num_iters=args.tv_iters)
    tv_lam = tv_lams[int(np.argmax([psnr(sw.images[i], val, border) for i in range(len(tv_lams))]))]
    print(f"validation picks: ALR λ {alr_lam}, Wiener balance {bal}, TV λ {tv_lam}", flush=True)
    rows, fig = [], {"environment": C.environment(), "size": args.size, "noise": noise, "alr_lambda": alr_lam,
                     "wiener_balance": bal, "tv_lambda": tv_lam, "results": []}
    means = {"input": [], "alr": [], "wiener": [], "tv": []}
    for i, k in enumerate(kernels):
        for j, n in enumerate(names):
            ref = images[n]
            y = observe(ref, k, 10 * i + j)
            prob = jaxreg.problems.Deblur(y, k, boundary="replicate")
            a = psnr(run_alr(prob, critic, alr_lam)[0], ref, border)
            w = psnr(jaxreg.methods.wiener.wiener_deconvolve(jnp.asarray(y), k, bal), ref, border)
            tv = jaxreg.solve(prob, jaxreg.methods.get("tv", lam=tv_lam), key=jax.random.key(0),
                              num_iters=args.tv_iters)
            t = psnr(tv.image, ref, border)
            inp = psnr(y, ref, border)
            for key_, v in (("input", inp), ("alr", a), ("wiener", w), ("tv", t)):
                means[key_].append(v)
            fig["results"].append({"kernel": i + 1, "image": n, "input": inp, "alr": a, "wiener": w, "tv": t})
            rows.append([str(i + 1), n, f"{inp:.2f}", f"{a:.2f}", f"{w:.2f}", f"{t:.2f}"])
        print(rows[-1], flush=True)
    rows.append(["**mean**", "", f"{np.mean(means['input']):.2f}", f"**{np.mean(means['alr']):.2f}**",
                 f"{np.mean(means['wiener']):.2f}", f"{np.mean(means['tv']):.2f}"])
    report("alr_deblur_cpu", fig, "ALR deblurring with the 12 kernels of the authors' code",
           f"Centre {args.size}² crops of butterfly and castle (the code's inputs; never used for training), blurred "
           f"with replicate boundaries, noise σ = {noise:.4g}, clipped to [0, 1] (as the code). ALR: shipped critic, "
           f"50 Adam iterations, replicate-boundary model, λ = {alr_lam}. Wiener: circular model, Laplacian "
           f"regulariser, balance {bal}. TV: isotropic TV-ADMM with the replicate model (CG x-update), "
           f"{args.tv_iters} iterations, λ = {tv_lam}. Every hyperparameter was chosen on a validation crop "
           f"(DIP's library image, kernel 1), not on the test images. PSNR (dB) without a {border}-pixel border.",
           ["kernel", "image", "input", "ALR", "Wiener", "TV"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the shipped critic")
    t.add_argument("--steps", type=int, default=15000)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", help=f"output checkpoint (default {SHIPPED})")
    t.set_defaults(func=cmd_train)
    c = sub.add_parser("calibrate", help="choose λ per σ on validation crops and store it in the checkpoint")
    c.add_argument("--size", type=int, default=96)
    c.add_argument("--critic", help=f"checkpoint to calibrate (default {SHIPPED})")
    c.set_defaults(func=cmd_calibrate)
    d = sub.add_parser("denoise", help="Table 2: held-out images at σ 0.1 / 0.2 / 0.4 against tuned TV and BM3D")
    d.add_argument("--size", type=int, default=192)
    d.add_argument("--tv-iters", type=int, default=200)
    d.add_argument("--critic", help="a critic checkpoint (default: the shipped one)")
    d.set_defaults(func=cmd_denoise)
    g = sub.add_parser("generalise", help="Table 1: critics trained at two fixed σ and on a range")
    g.add_argument("--steps", type=int, default=3000)
    g.add_argument("--size", type=int, default=128)
    g.add_argument("--seed", type=int, default=0)
    g.set_defaults(func=cmd_generalise)
    b = sub.add_parser("deblur", help="the 12 kernels against Wiener and TV deconvolution")
    b.add_argument("--size", type=int, default=128)
    b.add_argument("--noise", type=float, default=15 / 255, help="noise σ (default 15/255, the code's)")
    b.add_argument("--tv-iters", type=int, default=200)
    b.set_defaults(func=cmd_deblur)
    for p in (c, d, g, b):
        p.add_argument("--data", help="shared data folder (default ../shared/data)")
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
