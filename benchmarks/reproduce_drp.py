"""DRP (Li, Wang, Zhuang & Sun, "Deep Random Projector: accelerated deep image prior", CVPR 2023): time to
quality against DIP, Barbara inpainting at equal wall time, and DRP as the prior inside DIP-ℓ0 (clip arts) and
NGR (RGB inpainting) at equal wall time.

    PYTHONPATH=. python benchmarks/reproduce_drp.py denoise [--size 96] [--dip-iters 1500] [--drp-iters 1000] [--resume]
    PYTHONPATH=. python benchmarks/reproduce_drp.py inpaint [--size 128] [--dip-iters 500] [--drp-iters 3000]
    PYTHONPATH=. python benchmarks/reproduce_drp.py l0      [--images 1,2,3,4] [--iters 100]
    PYTHONPATH=. python benchmarks/reproduce_drp.py ngr     [--size 64] [--rate 0.3] [--ngr-iters 500] [--drp-iters 2000]

**Timing.**  Each method's seconds per iteration ``τ`` come from a separate run *without* a reference (no metric
inside the loop), after compilation; compile time is reported apart.  A method's image after ``t`` iterations does
not depend on the run's length (no schedule looks ahead), so "wall time to reach a PSNR" is ``τ × t`` with ``t``
the first iteration of the recorded trajectory at or above it, and "PSNR at equal wall time ``B``" is the
trajectory at ``t = ⌊B / τ⌋``.

* ``denoise`` (time to quality): centre ``--size`` crops at full resolution of the DRP Peppers images
  (``drp/peppers_gaussian_noise_{2,4}.npz``: the authors' noisy files, σ ≈ 0.114 and 0.223) and of three other
  real images (F-16, Set5 baby, castle) with Gaussian noise σ = 0.12, clipped and rounded to 8 bits as the DRP
  files.  DIP: jaxreg's ``dip`` (official denoising settings: skip net 32→3, lr 0.01, input noise 1/30, EMA
  0.99, fall-back; ES-WMV stopping, window 100, patience 1000), at most ``--dip-iters`` iterations.  Targets:
  DIP's best PSNR over its trajectory (an oracle, reached at iteration t*: DIP time τ·t*) and the PSNR of DIP's
  no-reference ES-WMV output (DIP time: the iterations it ran before stopping).  DRP: preset ``denoising``
  (w 64, s 4, lr 0.1, λ 0.45, z ~ 0.1·N(0, 1)), ``--drp-iters`` iterations; and DRP stopped by the same
  no-reference rule as DIP (ES-WMV with the library defaults), against DIP's ES-WMV output.
* ``inpaint``: Barbara (grey; ``drp/barbara_img_0.1.png`` is the clean image, equal to
  ``dip/restoration_barbara.png``, and ``drp/barbara_mask_0.1.png`` drops 10 % of the pixels; the code observes
  ``y = x ⊙ m``), centre ``--size`` crop.  DIP: the official
  inpainting configuration (skip [128]×5 with skip 128, nearest, lr 0.01, input noise 0.03); DRP: preset
  ``inpainting`` (meshgrid seed, w 128, s 128, lr 0.05, λ 0.01).  Raw network outputs are scored (no compositing).
* ``l0``: DIP-ℓ0 against DRP-ℓ0 (``drp-l0``) on the clip arts at the CPU scale of ``reproduce_dip_l0.py`` (ground
  truth RGB·α downscaled ×6, re-compressed at JPEG q10), T = ``--iters`` ADMM iterations of K = 25 steps each.
* ``ngr``: NGR (preset ``rgb-inpainting``) against DRP-NGR (``drp-ngr``) on the three Table-I images of
  ``reproduce_ngr.py`` (resized to ``--size``), per-pixel masks at ``--rate``.

Writes ``benchmarks/results/drp_<command>_cpu.{md,json}`` (rewritten after every image).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg import methods, metrics, nets, problems
from jaxreg.methods import drp, ngr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
from reproduce_dip_l0 import SCALES as L0_SCALES, clipart_case  # noqa: E402
from reproduce_ngr import RGB_IMAGES  # noqa: E402

KEY = jax.random.key(0)
DENOISE_OTHERS = {"f16": "dip/denoising_F16_GT.png", "baby": "drp/set5_baby.png", "castle": "alr/castle.png"}
SIGMA = 0.12


def centre(a: np.ndarray, size: int) -> np.ndarray:
    h, w = a.shape[:2]
    if size > min(h, w):
        raise ValueError(f"--size {size} is larger than the image ({h}×{w})")
    top, left = (h - size) // 2, (w - size) // 2
    return a[top:top + size, left:left + size]


def trajectory(method, problem, ref, iters):
    """``(PSNR after each iteration, result)``: the trajectory of the image the method would return (for a
    selecting method, the iterate it selects from)."""
    res = jaxreg.solve(problem, method, key=KEY, num_iters=iters, reference=ref)
    traj = res.history.get("psnr_iterate", res.history["psnr"])
    return np.asarray(traj, np.float64), res


def seconds_per_iter(method, problem, iters):
    """``(τ, compile s)`` from a reference-free run of ``iters`` iterations (compile excluded from τ)."""
    res = jaxreg.solve(problem, method, key=KEY, num_iters=iters)
    return res.timings["run_s"] / max(int(res.num_iters), 1), res.timings["compile_s"]


def first_reaching(traj, target):
    """1-based first iteration with PSNR ≥ target, or None."""
    hit = np.nonzero(traj >= target - 1e-9)[0]
    return int(hit[0]) + 1 if hit.size else None


def at_time(traj, tau, budget):
    """PSNR of the trajectory at wall time ``budget`` (None if the budget is under one iteration; the last entry
    if the run was shorter, flagged by the caller)."""
    t = int(budget // tau)
    return None if t < 1 else float(traj[min(t, len(traj)) - 1])


def profile(name, method, problem, ref, iters, time_iters):
    traj, res = trajectory(method, problem, ref, iters)
    tau, compile_ref = seconds_per_iter(method, problem, min(time_iters, iters))
    out = {"method": name, "iters_run": int(res.num_iters), "tau_s": tau, "compile_s": res.timings["compile_s"],
           "final_psnr": float(res.history["psnr"][-1]), "best_psnr": float(traj.max()),
           "best_iter": int(traj.argmax()) + 1, "trajectory": traj.round(3).tolist()}
    return out, res


def dump(name, rows, extra, markdown, args):
    fig = {"args": vars(args), "env": C.environment(), "rows": rows, **extra}
    C.write_results(name, fig, markdown, args.out)


# ------------------------------------------------------------------------------------------------ denoise
def denoise_cases(root: Path, size: int):
    cases = []
    clean = np.load(root / "drp/peppers_clean.npz", allow_pickle=False)["arr_0"]
    for level in (2, 4):
        noisy = np.load(root / f"drp/peppers_gaussian_noise_{level}.npz", allow_pickle=False)["arr_0"]
        cases.append((f"peppers, noise {level}", centre(noisy, size) / 255.0, centre(clean, size) / 255.0))
    for i, (name, rel) in enumerate(DENOISE_OTHERS.items()):
        ref = centre(C.load_rgb(root / rel), size)
        noise = SIGMA * np.asarray(jax.random.normal(jax.random.key(100 + i), ref.shape))
        noisy = np.round(np.clip(ref + noise, 0.0, 1.0) * 255.0) / 255.0
        cases.append((f"{name}, σ {SIGMA}", noisy, ref))
    return [(n, jnp.asarray(y, jnp.float32), jnp.asarray(x, jnp.float32)) for n, y, x in cases]


def cmd_denoise(args, root):
    path = Path(args.out or C.RESULTS) / "drp_denoise_cpu.json"
    done = {}
    if args.resume and path.exists():  # rows of a run with the same size and budgets are kept
        old = json.loads(path.read_text())
        if all(old["args"][k] == getattr(args, k) for k in ("size", "dip_iters", "drp_iters", "time_iters")):
            done = {r["image"]: r for r in old["rows"]}
    rows, shown = [], []  # shown: the crops figure (the rows computed in this run; resumed rows kept no images)
    for name, y, ref in denoise_cases(root, args.size):
        problem = problems.Denoise(y)
        row = done.get(name)
        panels = {}
        if row is None:
            dip_row, dip_res = profile("dip", methods.get("dip"), problem, ref, args.dip_iters, args.time_iters)
            drp_row, drp_res = profile("drp", drp.preset("denoising"), problem, ref, args.drp_iters, args.time_iters)
            row = {"image": name, "input_psnr": float(metrics.psnr(y, ref, data_range=1.0)), "dip": dip_row,
                   "drp": drp_row, "dip_es_psnr": float(metrics.psnr(dip_res.image, ref, data_range=1.0)),
                   "dip_es_iters": int(dip_res.num_iters),
                   "dip_es_selected": int(np.asarray(dip_res.history["selected_iteration"])[-1])}
            panels["dip"] = (f"DIP, ES-WMV\n{row['dip_es_psnr']:.2f} dB", dip_res.image)
            panels["drp"] = (f"DRP, {int(drp_res.num_iters)} its\n{drp_row['final_psnr']:.2f} dB", drp_res.image)
            traj = np.asarray(drp_row["trajectory"])
            for key, target, dip_time in (("best", dip_row["best_psnr"], dip_row["tau_s"] * dip_row["best_iter"]),
                                          ("es", row["dip_es_psnr"], dip_row["tau_s"] * row["dip_es_iters"])):
                t = first_reaching(traj, target)
                drp_time = None if t is None else drp_row["tau_s"] * t
                row[key] = {"target": target, "dip_s": dip_time, "drp_iter": t, "drp_s": drp_time,
                            "speedup": None if drp_time is None else dip_time / drp_time}
        if "drp_es" not in row:  # DRP stopped without the reference, by the same rule as DIP (ES-WMV, defaults)
            res = jaxreg.solve(problem, drp.preset("denoising", stopping="es-wmv"), key=KEY, num_iters=args.drp_iters)
            row["drp_es"] = {"psnr": float(metrics.psnr(res.image, ref, data_range=1.0)),
                             "selected": int(np.asarray(res.history["selected_iteration"])[-1]),
                             "iters": int(res.num_iters), "seconds": row["drp"]["tau_s"] * int(res.num_iters)}
            panels["drp_es"] = (f"DRP, ES-WMV\n{row['drp_es']['psnr']:.2f} dB", res.image)
        if panels:
            shown.append((name, [(f"noisy\n{row['input_psnr']:.2f} dB", y)]
                          + [panels[k] for k in ("dip", "drp_es", "drp") if k in panels] + [("clean", ref)]))
            C.crop_figure("drp_denoise_cpu", shown, args.out)
        rows.append(row)
        print(name, {k: row[k] for k in ("best", "es", "drp_es")}, flush=True)
        dump("drp_denoise_cpu", rows, {}, denoise_markdown(rows, args), args)


def fmt_x(v):
    return "—" if v is None else f"{v:.1f}×"


def denoise_markdown(rows, args):
    env = C.environment()
    head = ["image", "input", "DIP best (oracle) @ it · time", "DRP reaches it @ it · time", "speed-up",
            "DIP ES-WMV output · time", "DRP reaches it @ it · time", "speed-up", "DRP final / best"]
    body = []
    for r in rows:
        d, p, b, e = r["dip"], r["drp"], r["best"], r["es"]
        reach = lambda x: "not reached" if x["drp_iter"] is None else f"@{x['drp_iter']} · {C.fmt_s(x['drp_s'])}"
        body.append([r["image"], f"{r['input_psnr']:.2f}",
                     f"{d['best_psnr']:.2f} @{d['best_iter']} · {C.fmt_s(b['dip_s'])}", reach(b), fmt_x(b["speedup"]),
                     f"{r['dip_es_psnr']:.2f} (it {r['dip_es_selected']}, stopped {r['dip_es_iters']}) · "
                     f"{C.fmt_s(e['dip_s'])}", reach(e), fmt_x(e["speedup"]),
                     f"{p['final_psnr']:.2f} / {p['best_psnr']:.2f} @{p['best_iter']}"])
    # the other way round: DIP's time to reach DRP's best PSNR against DRP's time to its best
    head2 = ["image", "DRP best @ it · time", "DIP reaches it @ it · time", "speed-up", "DRP at DIP's best-iterate time"]
    body2, sp2 = [], []
    for r in rows:
        d, p = r["dip"], r["drp"]
        t_dip = first_reaching(np.asarray(d["trajectory"]), p["best_psnr"])
        drp_s = p["tau_s"] * p["best_iter"]
        dip_s = None if t_dip is None else d["tau_s"] * t_dip
        if dip_s is not None:
            sp2.append(dip_s / drp_s)
        budget = d["tau_s"] * d["best_iter"]
        same = at_time(np.asarray(p["trajectory"]), p["tau_s"], budget)
        ended = budget // p["tau_s"] > len(p["trajectory"])
        body2.append([r["image"], f"{p['best_psnr']:.2f} @{p['best_iter']} · {C.fmt_s(drp_s)}",
                      "not reached" if t_dip is None else f"@{t_dip} · {C.fmt_s(dip_s)}",
                      fmt_x(None if dip_s is None else dip_s / drp_s),
                      C.fmt_db(same) + (f" (run ended at it {len(p['trajectory'])})" if ended else "")])
    sp = [r["best"]["speedup"] for r in rows if r["best"]["speedup"]]
    tau = [(r["dip"]["tau_s"], r["drp"]["tau_s"]) for r in rows]

    def compile_s(m):
        return ", ".join(f"{r[m]['compile_s']:.1f}" for r in rows)

    lines = [
        "# DRP (Li et al., CVPR 2023): time to reach DIP's PSNR, denoising", "",
        f"Recorded {C.env_line(env)}. Centre {args.size}×{args.size} crops at full resolution; DIP at most "
        f"{args.dip_iters} iterations, DRP {args.drp_iters}. Times are τ × iterations with τ from reference-free "
        f"runs of {args.time_iters} iterations (compile excluded). PSNR in dB (data_range 1).", "",
        C.table(head, body), "",
        f"Seconds per iteration: DIP {', '.join(C.fmt_s(a) for a, _ in tau)}; DRP "
        f"{', '.join(C.fmt_s(b) for _, b in tau)} (ratio {np.mean([a / b for a, b in tau]):.1f}× on average). "
        f"Compile: DIP {compile_s('dip')} s; DRP {compile_s('drp')} s.",
        "",
        f"Speed-up to DIP's best PSNR: {'median ' + f'{np.median(sp):.1f}×' if sp else 'never reached'} over the "
        f"{len(sp)} of {len(rows)} images where DRP reaches it.", "",
        "The other way round, at DRP's quality: DRP's best PSNR (an oracle iterate, like DIP's best) and the time "
        "DIP needs to reach it; last column, DRP's PSNR at the wall time DIP needs for its own best iterate.", "",
        C.table(head2, body2), "",
        f"Speed-up at DRP's best PSNR: median {np.median(sp2):.1f}× over {len(sp2)} of {len(rows)} images."
        if sp2 else "DIP never reaches DRP's best PSNR.",
    ]
    es_rows = [r for r in rows if "drp_es" in r]
    if es_rows:
        lines += ["", "Both stopped without the reference by ES-WMV (window 100, patience 1000, the library defaults; "
                  "the image of the iteration with the smallest windowed variance; time = the iterations run):", "",
                  C.table(["image", "DIP ES-WMV · time", "DRP ES-WMV · time", "DRP − DIP", "DRP final (no stopping)"],
                          [[r["image"], f"{r['dip_es_psnr']:.2f} (it {r['dip_es_selected']}) · "
                            f"{C.fmt_s(r['es']['dip_s'])}",
                            f"{r['drp_es']['psnr']:.2f} (it {r['drp_es']['selected']}) · "
                            f"{C.fmt_s(r['drp_es']['seconds'])}",
                            f"{r['drp_es']['psnr'] - r['dip_es_psnr']:+.2f}", f"{r['drp']['final_psnr']:.2f}"]
                           for r in es_rows])]
    lines += C.figure_link("drp_denoise_cpu", args.out, "noisy, DIP ES-WMV, DRP ES-WMV, DRP final, clean",
                           "What each returns (whole crops, enlarged; rows computed in the run that wrote this figure)")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ inpaint
def cmd_inpaint(args, root):
    ref = jnp.asarray(centre(C.load_gray(root / "drp/barbara_img_0.1.png"), args.size))  # the clean image
    mask = centre(C.load_gray(root / "drp/barbara_mask_0.1.png"), args.size)[..., 0]
    mask = jnp.asarray((mask > 0.5).astype(np.float32))
    y = ref * mask[..., None]  # the code's observation: y = x ⊙ m
    problem = problems.Inpaint(y, mask)
    net = nets.Skip.uniform(5, 128, 128, 128, upsample_mode="nearest", out_channels=1)
    dip_m = methods.get("dip", net=net, reg_noise_std=0.03, ema=0.0, stopping="none", fallback=False)
    dip_row, _ = profile("dip", dip_m, problem, ref, args.dip_iters, args.time_iters)
    drp_row, _ = profile("drp", drp.preset("inpainting"), problem, ref, args.drp_iters, args.time_iters)
    rows = [dip_row, drp_row]
    budgets = {"DIP's total time": dip_row["tau_s"] * args.dip_iters,
               "DRP's total time": drp_row["tau_s"] * args.drp_iters}
    equal = {}
    for label, b in budgets.items():
        equal[label] = {"budget_s": b, "dip": at_time(np.asarray(dip_row["trajectory"]), dip_row["tau_s"], b),
                        "drp": at_time(np.asarray(drp_row["trajectory"]), drp_row["tau_s"], b),
                        "dip_iter": min(int(b // dip_row["tau_s"]), args.dip_iters),
                        "drp_iter": min(int(b // drp_row["tau_s"]), args.drp_iters)}
    env = C.environment()
    def cell(e, m, iters):
        ended = e["budget_s"] // rows[m]["tau_s"] > iters
        return f"{C.fmt_db(e[rows[m]['method']])} (it {e[rows[m]['method'] + '_iter']}" + (", run ended)" if ended else ")")

    body = [[label, C.fmt_s(e["budget_s"]), cell(e, 0, args.dip_iters), cell(e, 1, args.drp_iters)]
            for label, e in equal.items()]
    md = "\n".join([
        "# DRP (Li et al., CVPR 2023): Barbara inpainting (10 % of pixels dropped) at equal wall time", "",
        f"Recorded {C.env_line(env)}. Centre {args.size}×{args.size} crop of the DRP file, grey. Input PSNR "
        f"{float(metrics.psnr(y, ref, data_range=1.0)):.2f} dB. Raw network outputs, PSNR in dB.", "",
        C.table(["budget", "seconds", "DIP", "DRP"], body), "",
        C.table(["method", "iterations", "s / iteration", "compile", "final", "best @ it"],
                [[r["method"], r["iters_run"], C.fmt_s(r["tau_s"]), f"{r['compile_s']:.1f} s",
                  f"{r['final_psnr']:.2f}", f"{r['best_psnr']:.2f} @{r['best_iter']}"] for r in rows]),
    ])
    dump("drp_inpaint_cpu", rows, {"equal_time": equal}, md, args)


# ------------------------------------------------------------------------------------------------ pairs at equal time
def pair_row(name, a_name, a_m, b_name, b_m, problem, ref, a_iters, b_iters, time_iters):
    a, _ = profile(a_name, a_m, problem, ref, a_iters, time_iters)
    b, _ = profile(b_name, b_m, problem, ref, b_iters, time_iters)
    row = {"image": name, a_name: a, b_name: b}
    for x, y_ in ((a, b), (b, a)):  # x at the wall time of y's whole run
        budget = y_["tau_s"] * y_["iters_run"]
        t = int(budget // x["tau_s"])
        row[f"{x['method']}_at_{y_['method']}_time"] = {
            "budget_s": budget, "iter": min(t, x["iters_run"]), "short": t > x["iters_run"],
            "psnr": at_time(np.asarray(x["trajectory"]), x["tau_s"], budget)}
    print(name, {k: v for k, v in row.items() if k.endswith("_time")}, flush=True)
    return row


def pair_markdown(title, setting, rows, a, b):
    env = C.environment()
    head = ["image", f"{a} final · time", f"{b} final · time", f"{a} at {b}'s time", f"{b} at {a}'s time",
            f"s / it {a} · {b}", f"compile {a} · {b}"]
    body = []
    for r in rows:
        ra, rb = r[a], r[b]
        x, y = r[f"{a}_at_{b}_time"], r[f"{b}_at_{a}_time"]
        cell = lambda e: (f"{C.fmt_db(e['psnr'])} (it {e['iter']}" + (", run ended" if e["short"] else "") + ")")
        body.append([r["image"], f"{ra['final_psnr']:.2f} · {C.fmt_s(ra['tau_s'] * ra['iters_run'])}",
                     f"{rb['final_psnr']:.2f} · {C.fmt_s(rb['tau_s'] * rb['iters_run'])}", cell(x), cell(y),
                     f"{C.fmt_s(ra['tau_s'])} · {C.fmt_s(rb['tau_s'])}",
                     f"{ra['compile_s']:.1f} · {rb['compile_s']:.1f} s"])
    mean = lambda f: np.mean([f(r) for r in rows])
    body.append(["**mean**", f"{mean(lambda r: r[a]['final_psnr']):.2f}", f"{mean(lambda r: r[b]['final_psnr']):.2f}",
                 "", "", "", ""])
    return "\n".join([f"# {title}", "", f"Recorded {C.env_line(env)}. {setting} PSNR in dB of the image each method "
                      "returns (no reference used while running).", "", C.table(head, body)])


def cmd_l0(args, root):
    rows = []
    factor = L0_SCALES["cpu"]["clipart_factor"]
    for i in [int(s) for s in args.images.split(",")]:
        y, ref = clipart_case(root, i, factor)
        problem = problems.Denoise(jnp.asarray(y))
        rows.append(pair_row(f"clip{i}", "dip-l0", methods.get("dip-l0"), "drp-l0", methods.get("drp-l0"), problem,
                             jnp.asarray(ref), args.iters, args.iters, args.time_iters))
        md = pair_markdown("Li et al. × Tran, Bui & Xin: DRP-ℓ0 against DIP-ℓ0 on the clip arts at equal wall time",
                           f"Clip arts downscaled ×{factor} and re-compressed at JPEG q10 (as reproduce_dip_l0 "
                           f"--scale cpu); T = {args.iters} ADMM iterations, K = 25, λ 0.025, β 2; DIP-ℓ0 lr 1e-3 "
                           "(paper), DRP-ℓ0 lr 0.05 (chosen on astronaut, not a clip art).", rows, "dip-l0", "drp-l0")
        dump("drp_l0_cpu", rows, {}, md, args)


def cmd_ngr(args, root):
    rows = []
    for name, rel in RGB_IMAGES.items():
        ref = jnp.asarray(C.load_rgb(root / rel, args.size))
        mask = jax.random.bernoulli(jax.random.key(7), args.rate, ref.shape[:2]).astype(jnp.float32)
        problem = problems.Inpaint(ref * mask[..., None], mask)
        rows.append(pair_row(name, "ngr", ngr.preset("rgb-inpainting"), "drp-ngr", methods.get("drp-ngr"), problem,
                             ref, args.ngr_iters, args.drp_iters, args.time_iters))
        md = pair_markdown("Li et al. × Xu et al.: DRP-NGR against NGR (RGB inpainting) at equal wall time",
                           f"Images resized to {args.size}×{args.size}, per-pixel masks keeping {args.rate:.0%}; NGR "
                           f"preset rgb-inpainting ({args.ngr_iters} iterations), DRP-NGR lr 0.05 "
                           f"({args.drp_iters} iterations; lr chosen on astronaut).", rows, "ngr", "drp-ngr")
        dump("drp_ngr_cpu", rows, {}, md, args)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("denoise", "inpaint", "l0", "ngr"))
    ap.add_argument("--data", default=None, help="the shared data folder (default ../shared/data)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--dip-iters", type=int, default=None)
    ap.add_argument("--drp-iters", type=int, default=None)
    ap.add_argument("--ngr-iters", type=int, default=500)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--images", default="1,2,3,4")
    ap.add_argument("--rate", type=float, default=0.3)
    ap.add_argument("--time-iters", type=int, default=None, help="iterations of the timing runs")
    ap.add_argument("--resume", action="store_true", help="denoise: keep the finished rows of the result file")
    args = ap.parse_args(argv)
    defaults = {"denoise": (96, 1500, 1000, 100), "inpaint": (128, 500, 3000, 50), "l0": (None, None, None, 10),
                "ngr": (64, None, 2000, 50)}[args.command]
    for field, value in zip(("size", "dip_iters", "drp_iters", "time_iters"), defaults):
        if getattr(args, field) is None:
            setattr(args, field, value)
    root = C.require_data(args.data, "the DRP benchmarks")
    {"denoise": cmd_denoise, "inpaint": cmd_inpaint, "l0": cmd_l0, "ngr": cmd_ngr}[args.command](args, root)


if __name__ == "__main__":
    main()
