"""Choosing λ and the stopping time without the clean image: no-reference criteria against the oracle.

Cases (``python benchmarks/selection.py CASE``):

* ``denoise`` — λ of ``tv`` (SURE and J-invariance), ``l0-smoothing`` and ``region-fusion`` (J-invariance; SURE
  recorded to show where it breaks) on 6 real images, σ ∈ {0.05, 0.1, 0.2}, Gaussian noise (not clipped: the
  model SURE assumes).  One ``jaxreg.sweep`` per image, σ and method; the criterion's pick against the grid's
  best PSNR (the oracle, which needs the clean image).
* ``deblur`` — ``balance`` of ``wiener`` and λ of ``tv`` on a circular blur with two kernels (Gaussian, and the
  first 25×25 kernel of the ALR release), σ = 0.01: projected GSURE and predicted SURE against the oracle.
* ``inpaint`` — λ of ``tv`` by hold-out (10 % of the observed pixels hidden, 1 and 3 folds) at 30 % and 50 %
  observed pixels (noise-free).
* ``denoise-net`` — the TV weight of ``drp`` and ``dip-tv`` and their stopping time, both by SURE (every grid
  point stopped by SURE, the grid point with the lowest kept SURE chosen), against the oracle weight and the
  oracle iterate.
* ``inpaint-net`` — DIP's stopping time for inpainting (30 % and 50 % observed) by hold-out, against ES-WMV and
  the oracle iterate, on the stopping crops.
* ``summary`` — one table generated from every recorded ``selection_*.json`` (no run).
* ``clipart-net`` — DIP's stopping time on JPEG clip art (σ unknown) by J-invariance against ES-WMV.
* ``cost`` — the run time of every sweep above with one criterion over without, measured interleaved.
* ``stopping`` — DIP and DIP-TV on the 64×64 crops of ``dip_stopping.py`` (σ = 0.1): one run per crop with ES-WMV
  and SURE recorded together, 2000 iterations; the stopping points of ES-WMV (window 100, patience 1000) and of
  SURE (patience ``--patience``) are then read from the recorded curves exactly as the rules run them.

No image of these cases was used to choose any setting of the criteria (ε = 0.01 σ, a Rademacher probe,
10 % hold-out, the J-invariance grid of scikit-image are defaults fixed before the run; the ε = 0.3 σ of network
methods was chosen on a 64×64 crop of ``coffee``, which is not among the stopping crops).  Cost: every case
reports the time of the sweep with the criteria and without them.

    PYTHONPATH=. python benchmarks/selection.py denoise [--size 128]
    PYTHONPATH=. python benchmarks/selection.py deblur
    PYTHONPATH=. python benchmarks/selection.py inpaint
    PYTHONPATH=. python benchmarks/selection.py denoise-net --methods drp --size 64
    PYTHONPATH=. python benchmarks/selection.py stopping [--iters 2000]

Writes ``benchmarks/results/selection_<case>.{json,md}`` (and ``.png`` plots of estimated vs true MSE).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import jax

import jaxreg
from jaxreg import data, methods, problems, selection

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

IMAGES = {  # name: (path under ../shared/data, how to read it)
    "f16": "dip/denoising_F16_GT.png",
    "kate": "dip/restoration_kate.png",
    "barbara": "dip/restoration_barbara.png",
    "peppers": "drp/peppers_clean.npz",
    "baby": "drp/set5_baby.png",
    "castle": "alr/castle.png",
}


def load(name, data_dir, size):
    path = data_dir / IMAGES[name]
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            img = np.asarray(f["arr_0"], np.float32) / 255.0
    else:
        img = C.load_rgb(path)
    h, w = img.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(img[top:top + size, left:left + size, :3])


def psnr(x, clean):
    return float(jaxreg.metrics.psnr(np.clip(np.asarray(x), 0, 1), clean, data_range=1.0))


def mse(x, clean):
    return float(np.mean((np.asarray(x, np.float64) - clean) ** 2))


def run_sweep(problem, method, grid, *, iters, criteria):
    r = jaxreg.sweep(problem, method, grid, key=jax.random.key(0), num_iters=iters, criteria=criteria,
                     progress=False)
    return r, r.timings


def cost(problem, method, grid, *, iters, criteria, repeats=3):
    """Median run time (compiled; compile time apart) of the sweep alone and with each criterion alone."""
    out = {}
    for label, crit in [("plain", ())] + [(c if isinstance(c, str) else c.name, (c,)) for c in criteria]:
        runs = [jaxreg.sweep(problem, method, grid, key=jax.random.key(0), num_iters=iters, criteria=crit,
                             progress=False).timings for _ in range(repeats)]
        out[label] = {"run_s": float(np.median([t["run_s"] for t in runs])),
                      "compile_s": float(max(t["compile_s"] for t in runs))}
    for label in out:
        out[label]["ratio"] = out[label]["run_s"] / out["plain"]["run_s"]
    return out


def cost_table(costs):
    rows = []
    for (method, case), c in costs.items():
        for label, v in c.items():
            if label != "plain":
                rows.append([method, case, label, C.fmt_s(c["plain"]["run_s"]), C.fmt_s(v["run_s"]),
                             f"{v['ratio']:.2f}×", C.fmt_s(v["compile_s"])])
    return C.table(["method", "case", "criterion", "sweep run", "with criterion", "ratio", "compile (with)"], rows)


def picks(r, clean, names):
    """PSNR of every grid point's output, the oracle and each criterion's pick."""
    values = [psnr(r.images[g], clean) for g in range(r.images.shape[0])]
    out = {"psnr": values, "oracle": int(np.argmax(values))}
    for n in names:
        out[n] = {"values": r.scores(n).tolist(), "pick": int(np.nanargmin(r.scores(n)))}
        out[n]["gap_db"] = values[out["oracle"]] - values[out[n]["pick"]]
    out["true_mse"] = [mse(r.images[g], clean) for g in range(r.images.shape[0])]
    return out


def grid_row(p, clean, method_name, grid, iters, names, case, costs, args, **labels):
    """One sweep of ``method_name`` over ``grid`` with ``names`` recorded: its row (the labels, the PSNR of every
    grid point, each criterion's pick and gap); the cost of the criteria on the first row of each method and case
    (unless ``--skip-cost``)."""
    r, timings = run_sweep(p, methods.get(method_name), grid, iters=iters, criteria=names)
    res = picks(r, clean, names)
    if (method_name, case) not in costs and not args.skip_cost:
        costs[(method_name, case)] = cost(p, methods.get(method_name), grid, iters=iters, criteria=names)
    print(*labels.values(), method_name, "oracle", f"{max(res['psnr']):.2f}",
          " ".join(f"{n}: -{res[n]['gap_db']:.2f}" for n in names), flush=True)
    return {**labels, "method": method_name, "grid": grid, "result": res, "timings": timings}


def gap_table(rows, names):
    """Mean and worst gap (dB) per (method, criterion) over the rows."""
    out = []
    for method in sorted({r["method"] for r in rows}):
        for n in names:
            gaps = [r["result"][n]["gap_db"] for r in rows if r["method"] == method and n in r["result"]]
            if gaps:
                out.append([method, n, len(gaps), f"{np.mean(gaps):.3f}", f"{np.max(gaps):.3f}"])
    return C.table(["method", "criterion", "cases", "mean gap to oracle (dB)", "worst gap (dB)"], out)


def out_dir(args):
    out = Path(args.out) if args.out else C.RESULTS
    out.mkdir(parents=True, exist_ok=True)
    return out


def plot_curves(path, title, xs, curves, xlabel, logx=True):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot")
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, ys in curves.items():
        ax.plot(xs, ys, label=label, lw=1.5)
    if logx:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("per-entry MSE")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


# ------------------------------------------------------------------------------------------------ cases
DENOISE = {  # method: (grid name, grid values, iterations, criteria)
    "tv": ("lam", np.geomspace(0.005, 0.5, 16), 150, ("sure", "j-invariance")),
    "l0-smoothing": ("lam", np.geomspace(0.002, 0.2, 12), 60, ("j-invariance", "sure")),
    "region-fusion": ("lam", np.geomspace(0.002, 0.2, 12), 1, ("j-invariance", "sure")),
    "alr": ("lam", np.geomspace(0.02, 2.0, 10), 50, ("sure",)),
    "wiener": ("balance", np.geomspace(1e-3, 1e2, 16), 1, ("sure", "j-invariance")),
}


def noisy_cases(args, data_dir):
    """``(image, σ, clean, noisy)`` for every image and σ of the arguments: Gaussian noise, not clipped (the model
    SURE assumes), one key per σ."""
    sigmas = [float(v) for v in args.sigmas.split(",")]
    for name in args.images.split(","):
        clean = load(name, data_dir, args.size)
        for sigma in sigmas:
            noise = np.asarray(jax.random.normal(jax.random.key(1000 + sigmas.index(sigma)), clean.shape))
            yield name, sigma, clean, (clean + sigma * noise).astype(np.float32)


def case_denoise(args, data_dir, env):
    rows, costs = [], {}
    for name, sigma, clean, y in noisy_cases(args, data_dir):
        for method_name in args.methods.split(","):
            gname, grid, iters, names = DENOISE[method_name]
            rows.append(grid_row(problems.Denoise(y, sigma=sigma), clean, method_name, {gname: grid}, iters,
                                 names, "denoise", costs, args, image=name, sigma=sigma))
    names = ("sure", "j-invariance")
    lines = [f"# Choosing λ without the clean image: denoising ({args.size}×{args.size} crops)", "",
             f"Recorded {C.env_line(env)}. Images: {args.images} (centre crops at full resolution); Gaussian noise "
             f"σ ∈ {{{args.sigmas}}} (not clipped). Each cell compares the PSNR of the grid point a criterion picks "
             "with the best PSNR of the grid (the oracle). Grids: "
             + "; ".join(f"{m} {g[0]} {g[1][0]:g}…{g[1][-1]:g} ({g[1].size} log-spaced, {g[2]} iterations)"
                         for m, g in DENOISE.items() if m in args.methods.split(",")) + ".", "",
             gap_table(rows, names), "",
             "Per image (gap in dB to the oracle; oracle PSNR in brackets):", ""]
    per = []
    for r in rows:
        res = r["result"]
        per.append([r["image"], r["sigma"], r["method"], f"{max(res['psnr']):.2f}"]
                   + [f"{res[n]['gap_db']:.2f}" if n in res else "—" for n in names])
    lines += [C.table(["image", "σ", "method", "oracle PSNR"] + [f"{n} gap" for n in names], per), ""]
    if costs:
        lines += [f"Cost: median of 3 compiled runs of the sweep on {rows[0]['image']} (σ = {rows[0]['sigma']}), "
                  "alone and with each criterion alone:", "", cost_table(costs), ""]
    first = rows[0]
    plot = plot_curves(out_dir(args) / f"selection_denoise{args.tag}.png",
                       f"{first['method']} on {first['image']}, σ = {first['sigma']}: estimated vs true MSE over λ",
                       list(first["grid"].values())[0],
                       {"true MSE": first["result"]["true_mse"],
                        **{n: np.asarray(first["result"][n]["values"]) for n in DENOISE[first["method"]][3]}},
                       list(first["grid"])[0])
    if plot:
        lines += [f"![estimated vs true MSE]({Path(plot).name})", ""]
    return {"rows": rows, "cost": {f"{k[0]}/{k[1]}": v for k, v in costs.items()}}, "\n".join(lines)


def gaussian_kernel(size=9, std=1.6):
    ax = np.arange(size) - size // 2
    k = np.exp(-(ax[:, None] ** 2 + ax[None] ** 2) / (2 * std ** 2))
    return (k / k.sum()).astype(np.float32)


DEBLUR = {"wiener": ("balance", np.geomspace(1e-4, 1.0, 16), 1),
          "tv": ("lam", np.geomspace(1e-4, 0.05, 12), 200)}


def case_deblur(args, data_dir, env):
    kernels = {"gauss9": gaussian_kernel()}
    kpath = data_dir / "alr/kernels/1.npy"
    if kpath.exists():
        kernels["alr1"] = np.load(kpath, allow_pickle=False).astype(np.float32)
    names = ("gsure", "psure")
    rows, costs = [], {}
    for name in args.images.split(","):
        clean = load(name, data_dir, args.size)
        for kname, k in kernels.items():
            blurred = np.asarray(jaxreg.operators.CircularConvolution(k, clean.shape).apply(clean))
            noise = np.asarray(jax.random.normal(jax.random.key(2000), clean.shape))
            y = (blurred + args.deblur_sigma * noise).astype(np.float32)
            p = problems.Deblur(y, k, sigma=args.deblur_sigma)
            for method_name in args.deblur_methods.split(","):
                gname, grid, iters = DEBLUR[method_name]
                rows.append(grid_row(p, clean, method_name, {gname: grid}, iters, names, "deblur", costs, args,
                                     image=name, kernel=kname))
    lines = [f"# Choosing λ without the clean image: deblurring ({args.size}×{args.size} crops)", "",
             f"Recorded {C.env_line(env)}. Images: {args.images}; circular blur by {', '.join(kernels)} "
             f"(gauss9: 9×9 Gaussian, std 1.6; alr1: the first 25×25 kernel of the ALR release), Gaussian noise "
             f"σ = {args.deblur_sigma}. Projected GSURE (Eldar 2009; frequencies with |Ĥ|² > 1e-3·max kept) and "
             "predicted SURE against the oracle (for the linear filter `wiener` with the exact trace of its "
             "Jacobian, for `tv` with the paired run).", "",
             gap_table(rows, names), "", "Per image:", ""]
    per = [[r["image"], r["kernel"], r["method"], f"{max(r['result']['psnr']):.2f}"]
           + [f"{r['result'][n]['gap_db']:.2f}" for n in names] for r in rows]
    lines += [C.table(["image", "kernel", "method", "oracle PSNR"] + [f"{n} gap" for n in names], per), ""]
    if costs:
        lines += ["Cost (median of 3 compiled runs on the first image and kernel):", "", cost_table(costs), ""]
    return {"rows": rows, "cost": {f"{k[0]}/{k[1]}": v for k, v in costs.items()}}, "\n".join(lines)


def case_inpaint(args, data_dir, env):
    rows, costs = [], {}
    crit = {"holdout-1": selection.Holdout(folds=1), "holdout-3": selection.Holdout(folds=3)}
    grid = np.geomspace(1e-4, 0.1, 12)
    for name in args.images.split(","):
        clean = load(name, data_dir, args.size)
        for rate in (0.3, 0.5):
            mask = np.asarray(jax.random.uniform(jax.random.key(3000), clean.shape[:2]) < rate, np.float32)
            p = problems.Inpaint(clean * mask[..., None], mask)
            for label, c in crit.items():
                r, timings = run_sweep(p, methods.get("tv", adaptive=True), {"lam": grid}, iters=300,
                                       criteria=(c,))
                if ("tv", label) not in costs:
                    costs[("tv", label)] = cost(p, methods.get("tv", adaptive=True), {"lam": grid}, iters=300,
                                                criteria=(c,))
                res = picks(r, clean, ("holdout",))
                res[label] = res.pop("holdout")
                rows.append({"image": name, "rate": rate, "method": "tv", "grid": {"lam": grid}, "result": res,
                             "timings": timings, "criterion": label})
                print(name, rate, label, "oracle", f"{max(res['psnr']):.2f}", f"-{res[label]['gap_db']:.2f}",
                      flush=True)
    names = tuple(crit)
    lines = [f"# Choosing λ without the clean image: inpainting ({args.size}×{args.size} crops)", "",
             f"Recorded {C.env_line(env)}. TV (isotropic, ADMM with residual balancing, 300 iterations), λ "
             f"{grid[0]:g}…{grid[-1]:g} (12 log-spaced), pixels observed at random (30 % and 50 %), no noise. "
             "Hold-out hides 10 % of the observed pixels from each fold; the returned image is the run on all "
             "pixels.", "", gap_table(rows, names), "", "Per image:", ""]
    per = []
    for r in rows:
        n = r["criterion"]
        per.append([r["image"], r["rate"], n, f"{max(r['result']['psnr']):.2f}", f"{r['result'][n]['gap_db']:.2f}"])
    lines += [C.table(["image", "observed", "criterion", "oracle PSNR", "gap (dB)"], per), "",
              "Cost (median of 3 compiled runs on the first image at 30 %):", "", cost_table(costs), ""]
    return {"rows": rows, "cost": {f"{k[0]}/{k[1]}": v for k, v in costs.items()}}, "\n".join(lines)


STOP_CROPS = {"f16": None, "astronaut": (100, 180), "chelsea": (60, 120)}


def stop_at(values, patience, start=0):
    """(kept index, stop index) of 'keep the lowest value, stop after ``patience`` without improvement'."""
    best, best_i, wait = np.inf, 0, 0
    for i, v in enumerate(values):
        if i < start:
            continue
        if v < best:
            best, best_i, wait = v, i, 0
        else:
            wait += 1
            if wait >= patience:
                return best_i, i
    return best_i, len(values) - 1


def es_wmv_stop(variance, stop_iteration, patience):
    """Replays ES-WMV with ``patience`` on the recorded windowed variance: the kept (1-based) iteration."""
    best, wait = np.inf, 0
    for i, v in enumerate(variance):
        if np.isfinite(v) and v < best:
            best, wait = v, 0
        elif np.isfinite(v):
            wait += 1
            if wait >= patience:
                return int(stop_iteration[i]), i + 1
    return int(stop_iteration[-1]), len(variance)


def stop_run(p, method_name, crit, clean, args, **labels):
    """One run of ``method_name`` recording ES-WMV and ``crit`` together; the oracle iterate, the criterion's
    stop (keep the lowest, stop after ``args.patience``) and ES-WMV's (patience 1000) replayed on the curves;
    the cost of the criterion (100 iterations with and without it).  The row starts with ``labels``."""
    m = methods.get(method_name, stopping="es-wmv", patience=10 ** 6)
    key = jax.random.key(0)
    r = jaxreg.solve(p, m, key=key, num_iters=args.iters, reference=clean, criteria=(crit,), progress=False)
    h = r.history
    traj = np.asarray(h["psnr_iterate"])
    oracle_i = int(np.nanargmax(traj))
    crit_i, crit_stop = stop_at(np.asarray(h[crit]), args.patience)
    es_kept, es_run = es_wmv_stop(np.asarray(h["es-wmv"]), np.asarray(h["selected_iteration"]), 1000)
    plain = jaxreg.solve(p, methods.get(method_name, stopping="none"), key=key, num_iters=100, progress=False)
    paired = jaxreg.solve(p, methods.get(method_name, stopping="none"), key=key, num_iters=100, criteria=(crit,),
                          progress=False)
    row = {**labels, "method": method_name, "oracle": float(traj[oracle_i]), "oracle_iter": oracle_i + 1,
            crit: float(traj[crit_i]), f"{crit}_iter": crit_i + 1, f"{crit}_run": crit_stop + 1,
            "es_wmv": float(traj[es_kept - 1]), "es_iter": es_kept, "es_run": es_run, "last": float(traj[-1]),
            "iters": int(r.num_iters), "timings": r.timings,
            "cost": {"plain_run_s": plain.timings["run_s"], f"{crit}_run_s": paired.timings["run_s"]},
            "curves": {"true_mse": (10 ** (-traj / 10)).tolist(), crit: np.asarray(h[crit]).tolist()}}
    print(*labels.values(), method_name, f"oracle {row['oracle']:.2f}@{row['oracle_iter']}",
          f"{crit} {row[crit]:.2f}@{row[crit + '_iter']}", f"es {row['es_wmv']:.2f}@{row['es_iter']}",
          f"last {row['last']:.2f}", flush=True)
    return row


def case_stopping(args, data_dir, env):
    rows = []
    sigma = 0.1
    for name in args.crops.split(","):
        clean = stop_crop(name, data_dir)
        noise = np.asarray(jax.random.normal(jax.random.key(100), clean.shape))
        y = np.clip(clean + sigma * noise, 0, 1).astype(np.float32)
        for method_name in args.stop_methods.split(","):
            rows.append(stop_run(problems.Denoise(y, sigma=sigma), method_name, "sure", clean, args, crop=name,
                                 noisy=psnr(y, clean)))
    lines = [f"# Stopping {', '.join(args.stop_methods.split(','))} without the clean image: SURE against ES-WMV "
             "(64×64 crops, σ = 0.1)", "",
             f"Recorded {C.env_line(env)}. Each method at its defaults (for DIP the official settings: skip net, lr "
             f"0.01, EMA 0.99, input noise 1/30, fall-back), {args.iters} iterations, one run per crop and method recording the windowed variance "
             "and Monte-Carlo SURE of the averaged image together (noise clipped to [0, 1], key 100; method key 0; "
             f"SURE's step ε = {selection.NETWORK_EPS_SCALE:g} σ, the default for network methods). "
             f"SURE stopping keeps the averaged image with the lowest SURE, stopping after {args.patience} "
             "iterations without improvement (SURE run: the iteration where the rule stops; = iterations when the run "
             "ended first); ES-WMV keeps its image (window 100, patience 1000). "
             "Cells: PSNR [iteration kept]; the oracle is the best averaged iterate against the clean image.", ""]
    tab = [[r["crop"], r["method"], f"{r['noisy']:.2f}", f"{r['oracle']:.2f} [{r['oracle_iter']}]",
            f"{r['sure']:.2f} [{r['sure_iter']}]", f"{r['es_wmv']:.2f} [{r['es_iter']}]",
            f"{r['sure'] - r['oracle']:+.2f}", f"{r['es_wmv'] - r['oracle']:+.2f}",
            f"{r['cost']['sure_run_s'] / r['cost']['plain_run_s']:.2f}×"] for r in rows]
    for t, r in zip(tab, rows):
        t.insert(5, str(r["sure_run"]))
    lines += [C.table(["crop", "method", "noisy", "oracle", "SURE stop", "SURE run", "ES-WMV stop", "SURE − oracle",
                       "ES-WMV − oracle", "cost of SURE (run time ratio)"], tab), ""]
    first = rows[0]
    plot = plot_curves(out_dir(args) / f"selection_stopping{args.tag}.png",
                       f"{first['method']} on {first['crop']}: SURE vs true MSE over iterations",
                       np.arange(1, len(first["curves"]["sure"]) + 1),
                       {"true MSE": first["curves"]["true_mse"],
                        "SURE": np.maximum(np.asarray(first["curves"]["sure"]), 1e-5)}, "iteration", logx=False)
    if plot:
        lines += [f"![SURE vs true MSE over iterations]({Path(plot).name})", ""]
    return {"rows": rows}, "\n".join(lines)


def stop_crop(name, data_dir):
    if name == "f16":
        return C.load_rgb(data_dir / "dip/denoising_F16_GT.png")[200:264, 200:264]
    top, left = STOP_CROPS[name]
    return np.asarray(data.sample_image(name, size=256))[top:top + 64, left:left + 64]


def case_inpaint_net(args, data_dir, env):
    """DIP's stopping time for inpainting by hold-out: one run per crop and rate with ES-WMV and the hold-out
    estimate recorded together; the hold-out rule (keep the lowest, stop after the patience) replayed on the
    recorded curve, ES-WMV's stop replayed on its variance (patience 1000)."""
    rows = []
    for name in args.crops.split(","):
        clean = stop_crop(name, data_dir)
        for rate in (0.3, 0.5):
            mask = np.asarray(jax.random.uniform(jax.random.key(3000), clean.shape[:2]) < rate, np.float32)
            p = problems.Inpaint(clean * mask[..., None], mask)
            for method_name in args.stop_methods.split(","):
                rows.append(stop_run(p, method_name, "holdout", clean, args, crop=name, rate=rate))
    lines = [f"# Stopping {', '.join(args.stop_methods.split(','))} for inpainting without the clean image: "
             "hold-out against ES-WMV (64×64 crops)", "",
             f"Recorded {C.env_line(env)}. Pixels observed at random (30 % and 50 %, key 3000), no noise; each "
             f"method at its defaults, {args.iters} iterations, one run per crop recording ES-WMV's variance and "
             "the hold-out estimate (10 % of the observed pixels hidden from one companion run, same key; whole-"
             f"image scope) together. Hold-out stopping keeps the image with the lowest estimate and stops after "
             f"{args.patience} iterations without improvement; ES-WMV keeps its image (window 100, patience 1000). "
             "Cells: PSNR [iteration kept]; the oracle is the best averaged iterate against the clean image.", ""]
    tab = [[r["crop"], f"{r['rate']:g}", r["method"], f"{r['oracle']:.2f} [{r['oracle_iter']}]",
            f"{r['holdout']:.2f} [{r['holdout_iter']}]", str(r["holdout_run"]), f"{r['es_wmv']:.2f} [{r['es_iter']}]",
            f"{r['last']:.2f}", f"{r['holdout'] - r['oracle']:+.2f}", f"{r['es_wmv'] - r['oracle']:+.2f}",
            f"{r['cost']['holdout_run_s'] / r['cost']['plain_run_s']:.2f}×"] for r in rows]
    lines += [C.table(["crop", "observed", "method", "oracle", "hold-out stop", "hold-out run", "ES-WMV stop",
                       f"last ({args.iters})", "hold-out − oracle", "ES-WMV − oracle", "cost (run time ratio)"], tab), ""]
    return {"rows": rows}, "\n".join(lines)


def case_clipart_net(args, data_dir, env):
    """DIP's stopping time on JPEG clip art (quality 10, σ unknown) by J-invariance, against ES-WMV and the oracle
    iterate: 64×64 centre crops of the clip arts, one run recording both (the rule replayed as in ``stopping``)."""
    rows = []
    for i in args.cliparts.split(","):
        y_full = C.load_rgb(data_dir / f"clipart/jpeg_q10/clip{i}.jpg")
        ref_full = C.clipart_reference(data_dir / f"clipart/gt/clip{i}.png")
        h, w = y_full.shape[:2]
        top, left = (h - 64) // 2, (w - 64) // 2
        y = np.ascontiguousarray(y_full[top:top + 64, left:left + 64, :3])
        clean = np.ascontiguousarray(ref_full[top:top + 64, left:left + 64])
        for method_name in args.stop_methods.split(","):
            rows.append(stop_run(problems.JPEGArtifacts(y, quality=10), method_name, "j-invariance", clean, args,
                                 clipart=f"clip{i}", input=psnr(y, clean)))
    lines = [f"# Stopping {', '.join(args.stop_methods.split(','))} on JPEG clip art without the clean image: "
             "J-invariance against ES-WMV (64×64 crops)", "",
             f"Recorded {C.env_line(env)}. The clip arts of the DIP-ℓ0 release at JPEG quality 10 (the reference is "
             f"RGB·α), 64×64 centre crops; each method at its defaults, {args.iters} iterations, one run per crop "
             "recording ES-WMV's variance and the J-invariance estimate (σ unknown; one stride-4 grid of pixels "
             "replaced by their neighbours' mean in a companion run with the same key) together. J-invariance "
             f"stopping keeps the image with the lowest estimate and stops after {args.patience} iterations without "
             "improvement; ES-WMV keeps its image (window 100, patience 1000). Cells: PSNR [iteration kept].", ""]
    tab = [[r["clipart"], r["method"], f"{r['input']:.2f}", f"{r['oracle']:.2f} [{r['oracle_iter']}]",
            f"{r['j-invariance']:.2f} [{r['j-invariance_iter']}]", f"{r['es_wmv']:.2f} [{r['es_iter']}]",
            f"{r['last']:.2f}", f"{r['j-invariance'] - r['oracle']:+.2f}", f"{r['es_wmv'] - r['oracle']:+.2f}",
            f"{r['cost']['j-invariance_run_s'] / r['cost']['plain_run_s']:.2f}×"] for r in rows]
    lines += [C.table(["clip art", "method", "input", "oracle", "J-invariance stop", "ES-WMV stop",
                       f"last ({args.iters})", "J-inv. − oracle", "ES-WMV − oracle", "cost (run time ratio)"], tab), ""]
    return {"rows": rows}, "\n".join(lines)


NET_DENOISE = {  # method: (parameter, grid, iterations, SURE patience)
    "drp": ("tv_weight", np.asarray([0.05, 0.1, 0.2, 0.45, 1.0, 2.0]), 400, 150),
    "dip-tv": ("tv_weight", np.asarray([1e-3, 3e-3, 1e-2, 3e-2, 0.1]), 800, 300),
}


def case_denoise_net(args, data_dir, env):
    """The TV weight of a deep prior and its stopping time, both by SURE: one sweep per image and σ, every grid
    point stopped by SURE (the kept image is the one with the lowest estimate); the grid point with the lowest
    kept SURE is the choice.  Oracles: the best kept image over the grid (λ only) and the best iterate of any
    grid point (λ and time)."""
    rows = []
    for name, sigma, clean, y in noisy_cases(args, data_dir):
        for method_name in args.methods.split(","):
            gname, grid, iters, patience = NET_DENOISE[method_name]
            if args.net_grid:
                grid = np.asarray([float(v) for v in args.net_grid.split(",")])
            iters = args.iters if args.iters else iters
            m = methods.get(method_name, stopping="sure", patience=patience)
            r = jaxreg.sweep(problems.Denoise(y, sigma=sigma), m, {gname: grid}, key=jax.random.key(0),
                             num_iters=iters, reference=clean, progress=False)
            kept = [psnr(r.images[g], clean) for g in range(grid.size)]
            traj = np.asarray(r.history["psnr_iterate"])
            sure = np.asarray(r.scores("sure"))
            pick = int(np.nanargmin(sure))
            # a grid point that stopped early has NaN after its stop: its last finite record
            sel = np.asarray([v[np.isfinite(v)][-1] for v in np.asarray(r.history["selected_iteration"], float)])
            row = {"image": name, "sigma": sigma, "method": method_name, "grid": {gname: grid},
                   "kept_psnr": kept, "sure": sure.tolist(), "pick": pick, "kept_iteration": [int(v) for v in sel],
                   "oracle_lambda": float(max(kept)), "oracle_lambda_index": int(np.argmax(kept)),
                   "oracle_full": float(np.nanmax(traj)),
                   "oracle_full_at": [int(i) for i in np.unravel_index(np.nanargmax(traj), traj.shape)],
                   "iters": iters, "timings": r.timings}
            row["gap_lambda"] = row["oracle_lambda"] - kept[pick]
            row["gap_full"] = row["oracle_full"] - kept[pick]
            rows.append(row)
            print(name, sigma, method_name, f"pick {grid[pick]:g} {kept[pick]:.2f} [{int(sel[pick])}]",
                  f"oracle-λ {row['oracle_lambda']:.2f} oracle {row['oracle_full']:.2f}", flush=True)
    lines = [f"# Choosing a deep prior's TV weight and its stopping time without the clean image "
             f"({args.size}×{args.size} crops)", "",
             f"Recorded {C.env_line(env)}. Images: {args.images} (centre crops at full resolution); Gaussian noise "
             f"σ ∈ {{{args.sigmas}}} (not clipped). Every grid point runs with `stopping=\"sure\"` (ε = "
             f"{selection.NETWORK_EPS_SCALE:g} σ; it keeps the averaged image with the lowest SURE and stops after the "
             "patience); the chosen grid point is the one whose kept image has the lowest SURE. *λ gap*: the best "
             "kept image over the grid minus the chosen one (the cost of choosing the weight). *Full gap*: the best "
             "iterate of any grid point (the oracle of weight and time, which needs the clean image) minus the "
             "chosen one. Grids: " + "; ".join(f"{m} {g[0]} {args.net_grid or ', '.join(f'{v:g}' for v in g[1])} (up to "
                                                 f"{args.iters or g[2]} iterations, patience {g[3]})"
                                                 for m, g in NET_DENOISE.items() if m in args.methods.split(",")) + ".",
             ""]
    summary = []
    for method in sorted({r["method"] for r in rows}):
        sub = [r for r in rows if r["method"] == method]
        summary.append([method, len(sub), f"{np.mean([r['gap_lambda'] for r in sub]):.3f}",
                        f"{np.max([r['gap_lambda'] for r in sub]):.3f}",
                        f"{np.mean([r['gap_full'] for r in sub]):.3f}", f"{np.max([r['gap_full'] for r in sub]):.3f}"])
    lines += [C.table(["method", "cases", "mean λ gap (dB)", "worst λ gap (dB)", "mean full gap (dB)",
                       "worst full gap (dB)"], summary), "", "Per image:", ""]
    per = [[r["image"], r["sigma"], r["method"], f"{list(r['grid'].values())[0][r['pick']]:g}",
            f"{r['kept_psnr'][r['pick']]:.2f} [{r['kept_iteration'][r['pick']]}]",
            f"{r['oracle_lambda']:.2f} ({list(r['grid'].values())[0][r['oracle_lambda_index']]:g})",
            f"{r['oracle_full']:.2f}", f"{r['gap_lambda']:.2f}", f"{r['gap_full']:.2f}"] for r in rows]
    lines += [C.table(["image", "σ", "method", "chosen weight", "chosen PSNR [iteration]", "best kept (weight)",
                       "oracle", "λ gap", "full gap"], per), ""]
    return {"rows": rows}, "\n".join(lines)


def case_cost(args, data_dir, env):
    """Run time of each sweep with one criterion over without, every configuration measured in turn
    (interleaved, so that a change of machine load hits all alike); the first round (compilation) is dropped and
    the median of the others is kept."""
    name = args.images.split(",")[0]
    clean = load(name, data_dir, args.size)
    sigma = 0.1
    y = (clean + sigma * np.asarray(jax.random.normal(jax.random.key(1000), clean.shape))).astype(np.float32)
    k = gaussian_kernel()
    blurred = np.asarray(jaxreg.operators.CircularConvolution(k, clean.shape).apply(clean))
    yb = (blurred + 0.01 * np.asarray(jax.random.normal(jax.random.key(2000), clean.shape))).astype(np.float32)
    mask = np.asarray(jax.random.uniform(jax.random.key(3000), clean.shape[:2]) < 0.3, np.float32)
    den, deb = problems.Denoise(y, sigma=sigma), problems.Deblur(yb, k, sigma=0.01)
    inp = problems.Inpaint(clean * mask[..., None], mask)
    configs = []  # (method, case, problem, method config, grid, iterations, criteria)
    for m in ("tv", "wiener", "l0-smoothing", "region-fusion", "alr"):
        gname, grid, iters, names = DENOISE[m]
        configs.append((m, "denoise", den, methods.get(m), {gname: grid}, iters, names))
    for m in ("wiener", "tv"):
        gname, grid, iters = DEBLUR[m]
        configs.append((m, "deblur", deb, methods.get(m), {gname: grid}, min(iters, 100), ("gsure", "psure")))
    configs.append(("tv", "inpaint 30 %", inp, methods.get("tv", adaptive=True), {"lam": np.geomspace(1e-4, 0.1, 12)},
                    300, (selection.Holdout(folds=1),)))
    runs = []
    for m, case, p, cfg, grid, iters, names in configs:
        for crit in [()] + [(c,) for c in names]:
            runs.append({"method": m, "case": case, "criterion": (crit[0] if isinstance(crit[0], str) else crit[0].name)
                         if crit else "plain", "iters": iters, "times": [], "compile_s": None,
                         "go": (lambda p=p, cfg=cfg, grid=grid, iters=iters, crit=crit: jaxreg.sweep(
                             p, cfg, grid, key=jax.random.key(0), num_iters=iters, criteria=crit, progress=False))})
    net_methods = [m for m in args.cost_nets.split(",") if m]
    if net_methods:  # one solve of a deep prior on a small crop, its paired run stepped in the same program
        small = load(name, data_dir, args.net_size)
        ys = (small + sigma * np.asarray(jax.random.normal(jax.random.key(1001), small.shape))).astype(np.float32)
        dens = problems.Denoise(ys, sigma=sigma)
        for m in net_methods:
            for crit in ((), ("sure",)):
                runs.append({"method": m, "case": f"denoise {args.net_size}² (one solve)",
                             "criterion": crit[0] if crit else "plain", "iters": args.net_iters, "times": [],
                             "compile_s": None,
                             "go": (lambda m=m, crit=crit: jaxreg.solve(dens, methods.get(m), key=jax.random.key(0),
                                                                        num_iters=args.net_iters, criteria=crit,
                                                                        progress=False))})
    for rnd in range(args.repeats + 1):
        for r in runs:
            t = r["go"]().timings
            if rnd == 0:
                r["compile_s"] = t["compile_s"]
            else:
                r["times"].append(t["run_s"])
        print("round", rnd, flush=True)
    rows = []
    for r in runs:
        plain = next(q for q in runs if q["method"] == r["method"] and q["case"] == r["case"] and q["criterion"] == "plain")
        r["run_s"] = float(np.median(r["times"]))
        r["ratio"] = r["run_s"] / float(np.median(plain["times"]))
        del r["go"]
        if r["criterion"] != "plain":
            rows.append([r["method"], r["case"], r["criterion"], r["iters"], C.fmt_s(np.median(plain["times"])),
                         C.fmt_s(r["run_s"]), f"{r['ratio']:.2f}×"])
    lines = [f"# Cost of a no-reference criterion: sweep run time with it over without ({args.size}×{args.size})", "",
             f"Recorded {C.env_line(env)}. Image {name}; denoising σ = 0.1, deblurring by a 9×9 Gaussian with σ = "
             "0.01, inpainting with 30 % of the pixels observed; the grids of the quality tables"
             + (f"; deep priors: one `solve` of {args.net_iters} iterations on a {args.net_size}² centre crop "
                "(σ = 0.1)" if net_methods else "") + ". Every "
             f"configuration is run in turn, {args.repeats + 1} rounds; the first (compilation) is dropped, the "
             "cell is the median of the others (compile time apart).", "",
             C.table(["method", "case", "criterion", "iterations", "sweep run", "with criterion", "ratio"], rows), ""]
    return {"rows": runs}, "\n".join(lines)


def _load(out, name):
    path = out / f"{name}.json"
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def case_summary(args, data_dir, env):
    """One table from every recorded ``selection_*.json`` (no run): the criterion's gap to the oracle per method
    and case, the stopping gaps, and the cost ratios of the ``cost`` case; each row names its result file."""
    out = out_dir(args)
    rows = []

    def gaps(name, case, key_method="method", crit_names=None, label=None):
        d = _load(out, name)
        if d is None:
            return
        for method in sorted({r[key_method] for r in d["rows"]}):
            sub = [r for r in d["rows"] if r[key_method] == method]
            names = crit_names or sorted({n for r in sub for n in r["result"] if isinstance(r["result"][n], dict)})
            for n in names:
                g = [r["result"][n]["gap_db"] for r in sub if n in r["result"]]
                if g:
                    rows.append([case, method, label or n, len(g), f"{np.mean(g):.3f}", f"{np.max(g):.3f}", name])

    gaps("selection_denoise", "denoising, σ 0.05/0.1/0.2")
    gaps("selection_denoise_wiener", "denoising, σ 0.05/0.1/0.2")
    gaps("selection_denoise_alr", "denoising, σ 0.05/0.1/0.2")
    gaps("selection_deblur", "deblurring, 2 kernels, σ 0.01")
    d = _load(out, "selection_inpaint")
    if d is not None:
        for label in sorted({r["criterion"] for r in d["rows"]}):
            g = [r["result"][label]["gap_db"] for r in d["rows"] if r["criterion"] == label]
            rows.append(["inpainting, 30 %/50 %", "tv", label, len(g), f"{np.mean(g):.3f}", f"{np.max(g):.3f}",
                         "selection_inpaint"])
    # one row per method over every recorded denoise-net file (a method's cases may be recorded in several runs)
    net_rows = {}
    for path in sorted(out.glob("selection_denoise-net*.json")):
        d = _load(out, path.stem)
        for r in d["rows"]:
            net_rows.setdefault(r["method"], []).append((r, path.stem))
    for method, recs in sorted(net_rows.items()):
        files = ", ".join(sorted({f for _, f in recs}))
        for key, what in (("gap_lambda", "SURE: TV weight"), ("gap_full", "SURE: weight + stop, to the oracle iterate")):
            g = [r[key] for r, _ in recs]
            rows.append(["denoising (64²)", method, what, len(g), f"{np.mean(g):.3f}", f"{np.max(g):.3f}", files])
    # stopping rows: one per (case, method) over every recorded file of the case (runs may be split by crop)
    for pattern, crit in (("selection_stopping*.json", "sure"), ("selection_inpaint-net*.json", "holdout"),
                          ("selection_clipart-net*.json", "j-invariance")):
        by_method = {}
        for path in sorted(out.glob(pattern)):
            for r in _load(out, path.stem)["rows"]:
                by_method.setdefault(r["method"], []).append((r, path.stem))
        case = {"sure": "stopping, σ 0.1 (64² crops)", "holdout": "inpainting stop (64²)",
                "j-invariance": "JPEG clip-art stop (64²)"}[crit]
        for method, recs in sorted(by_method.items()):
            files = ", ".join(sorted({f for _, f in recs}))
            for key, what in ((crit, f"stopping by {crit}"), ("es_wmv", "stopping by ES-WMV")):
                g = [r["oracle"] - r[key] for r, _ in recs]
                rows.append([case, method, what, len(g), f"{np.mean(g):.3f}", f"{np.max(g):.3f}", files])
    lines = ["# Choosing λ and the stopping time without the clean image: summary", "",
             f"Generated {env['date'] if 'date' in env else ''} by `python benchmarks/selection.py summary` from the "
             "recorded `selection_*.json` files (each row names its file, which records its command, commit, "
             "machine and date). Gap: the oracle's PSNR (the best grid point, or the best iterate, which needs the "
             "clean image) minus the PSNR of the criterion's choice.", "",
             C.table(["case", "method", "criterion", "cases", "mean gap (dB)", "worst gap (dB)", "result file"], rows), ""]
    d = _load(out, "selection_cost")
    if d is not None:
        cost = [[r["method"], r["case"], r["criterion"], C.fmt_s(r["run_s"]), f"{r['ratio']:.2f}×"]
                for r in d["rows"] if r["criterion"] != "plain"]
        lines += ["Cost (`selection_cost.json`: run time of the sweep with one criterion over without, interleaved "
                  "rounds):", "", C.table(["method", "case", "criterion", "run with it", "ratio"], cost), ""]
    return {"rows": rows}, "\n".join(lines)


CASES = {"cost": case_cost, "summary": case_summary, "clipart-net": case_clipart_net, "denoise": case_denoise, "denoise-net": case_denoise_net, "inpaint-net": case_inpaint_net, "deblur": case_deblur, "inpaint": case_inpaint, "stopping": case_stopping}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--images", default=",".join(IMAGES))
    ap.add_argument("--size", type=int, default=128, help="crop side (default 128)")
    ap.add_argument("--sigmas", default="0.05,0.1,0.2")
    ap.add_argument("--methods", default="tv,l0-smoothing,region-fusion",
                    help=f"denoise: methods among {', '.join(DENOISE)}")
    ap.add_argument("--tag", default="", help="suffix of the result files (selection_<case><tag>)")
    ap.add_argument("--deblur-methods", default=",".join(DEBLUR))
    ap.add_argument("--deblur-sigma", type=float, default=0.01)
    ap.add_argument("--crops", default=",".join(STOP_CROPS), help="stopping: crops")
    ap.add_argument("--stop-methods", default="dip,dip-tv", help="stopping: methods")
    ap.add_argument("--iters", type=int, default=None,
                    help="stopping: iterations (default 2000); denoise-net: iterations (default per method)")
    ap.add_argument("--patience", type=int, default=300, help="stopping: SURE patience")
    ap.add_argument("--cliparts", default="1,2,3", help="clipart-net: clip-art numbers (1..10)")
    ap.add_argument("--net-grid", help="denoise-net: the grid of the TV weight (comma-separated; default per method)")
    ap.add_argument("--skip-cost", action="store_true", help="denoise, deblur: no cost measurement (see the cost case)")
    ap.add_argument("--repeats", type=int, default=5, help="cost: measured rounds after the compiling one")
    ap.add_argument("--cost-nets", default="dip,dip-tv,drp,ngr-denoise",
                    help="cost: deep priors timed by one solve with and without SURE (comma-separated; '' for none)")
    ap.add_argument("--net-size", type=int, default=64, help="cost: crop side of the deep-prior solves")
    ap.add_argument("--net-iters", type=int, default=60, help="cost: iterations of the deep-prior solves")
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--out", help="output folder (default benchmarks/results)")
    args = ap.parse_args(argv)
    data_dir = C.data_dir(args.data)
    C.skip_without_data(data_dir, f"selection {args.case}")
    env = C.environment()
    if args.case in ("stopping", "inpaint-net", "clipart-net") and args.iters is None:
        args.iters = 2000
    fig, md = CASES[args.case](args, data_dir, env)
    fig.update({"benchmark": f"selection_{args.case}", "environment": env, "command": " ".join(sys.argv),
                "arguments": vars(args), "jaxreg": jaxreg.__version__, "commit": C.git_commit()})
    C.write_results(f"selection_{args.case}{args.tag}", fig, md, args.out)


if __name__ == "__main__":
    main()
