"""TV denoising of real photos at σ = 0.1: jaxreg ``tv`` with its default settings vs scikit-image and SCICO.

For each image (astronaut from scikit-image, and F-16, Kate from ``../shared/data`` by default; also
butterfly with ``--images``; all centre-cropped and resized to ``--size``), noise ``jaxreg.data.add_gaussian_noise(key(k), clean, σ)``
with ``k`` the image's index in the list:

* **jaxreg**: ``methods.get("tv")`` with every default (for denoising: Chambolle's projection, zero-flux
  differences, the default ``tol``); ``lam`` chosen by ONE ``jaxreg.sweep`` over ``--points`` log-spaced values
  (at most ``--iters`` iterations, oracle choice by final PSNR against the clean image); then one
  ``jaxreg.solve`` at the best ``lam`` (first call compiles; the post-compile run time is the median of
  ``--repeats`` further calls, without a reference, i.e. without per-iteration PSNR/SSIM).  Beside it, at the
  same ``lam`` and ``--iters`` iterations without early stop: ADMM with zero-flux differences (exact DCT
  x-update) and ADMM with circular differences (FFT; the former default).
* **scikit-image**: ``denoise_tv_chambolle`` and ``denoise_tv_bregman`` (defaults: chambolle stops at
  ``eps=2e-4`` or 200 iterations, bregman at ``eps=1e-3`` or 100), each over a ``--points`` weight grid
  (oracle by PSNR); time of one call at the best weight (median of ``--repeats``).  Bregman's weight is
  inverse (smaller = smoother).  For reference also chambolle with ``eps=0`` (exactly ``--iters``
  iterations) at its best weight.
* **SCICO** (``scico.optimize.ADMM``, run as a subprocess by ``--scico-python``, see ``_scico_tv.py``) at
  jaxreg's best ``lam`` and ``rho``: ``--iters`` iterations, post-compile time (median of
  ``--scico-repeats``), for the zero-flux differences + CG x-update and for circular differences + FFT
  x-update.

    PYTHONPATH=. python benchmarks/tv_denoise.py                   # 256×256×3, 3 images
    PYTHONPATH=. python benchmarks/tv_denoise.py --images astronaut,f16,kate,butterfly
    PYTHONPATH=. python benchmarks/tv_denoise.py --size 128 --images astronaut --no-scico

Writes ``benchmarks/results/tv_denoise.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg.methods.admm import RHO_PER_LAM  # noqa: E402
from jaxreg import data, methods, metrics, problems

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

IMAGES = {  # name -> file under ../shared/data (None: scikit-image's bundled sample)
    "astronaut": None,
    "f16": "dip/denoising_F16_GT.png",
    "kate": "dip/restoration_kate.png",
    "butterfly": "alr/butterfly.png",
}
SCICO_VENVS = ("/tmp/scico-venv/bin/python",)


def psnr(x, ref):
    return float(metrics.psnr(jnp.asarray(x), jnp.asarray(ref), data_range=1.0))


def load_images(names, size, data_dir):
    out, skipped = {}, {}
    for name in names:
        if name not in IMAGES:
            raise SystemExit(f"unknown image {name!r}; choose from {', '.join(IMAGES)}")
        rel = IMAGES[name]
        if rel is None:
            out[name] = np.asarray(data.sample_image(name, size=size))
        elif C.have_data(data_dir):
            out[name] = C.load_rgb(data_dir / rel, size)
        else:
            skipped[name] = f"{data_dir} absent"
    return out, skipped


# ------------------------------------------------------------------------------------------------ jaxreg
def run_jaxreg(clean, noisy, grid, args):
    problem = problems.Denoise(jnp.asarray(noisy), sigma=args.sigma)
    method = methods.get("tv")  # isotropic, default rho
    key = jax.random.key(0)
    t0 = time.perf_counter()
    sw = jaxreg.sweep(problem, method, {"lam": grid}, key=key, num_iters=args.iters, reference=jnp.asarray(clean))
    sweep_wall = time.perf_counter() - t0
    best = sw.best("psnr")
    scores = sw.scores("psnr")
    curve = np.asarray(sw.history["psnr"][best.index])
    curve = curve[~np.isnan(curve)]  # NaN after the run stopped by its tol
    plateau = int(np.argmax(curve >= curve[-1] - 0.05)) + 1  # first iteration within 0.05 dB of the final PSNR

    m = method.replace(lam=best.params["lam"])
    first = jaxreg.solve(problem, m, key=key, num_iters=args.iters)
    runs = [jaxreg.solve(problem, m, key=key, num_iters=args.iters) for _ in range(args.repeats)]
    run_s = [r.timings["run_s"] for r in runs]
    with_ref = [jaxreg.solve(problem, m, key=key, num_iters=args.iters, reference=jnp.asarray(clean))
                for _ in range(2)]
    # informational: ADMM at the same lam, zero-flux (DCT x-update) and circular (FFT x-update) differences
    admm = {}
    for label, variant in (("admm_neumann_dct", m.replace(algorithm="admm", tol=0.0)),
                           ("admm_circular_fft", m.replace(algorithm="admm", tol=0.0, circular=True))):
        v_first = jaxreg.solve(problem, variant, key=key, num_iters=args.iters)
        v_runs = [jaxreg.solve(problem, variant, key=key, num_iters=args.iters)
                  for _ in range(max(1, args.repeats // 2))]
        admm[label] = {"psnr": psnr(v_runs[-1].image, clean), "compile_s": v_first.timings["compile_s"],
                       "run_s": float(np.median([r.timings["run_s"] for r in v_runs])),
                       "run_s_all": [r.timings["run_s"] for r in v_runs], "num_iters": v_runs[-1].num_iters}
    return {
        "grid_lam": grid, "psnr_per_lam": scores, "best_lam": best.params["lam"], "best_index": best.index,
        "best_at_grid_edge": best.index in (0, len(grid) - 1),
        "psnr": best.value, "psnr_solve": psnr(runs[-1].image, clean),
        "iters_to_within_0.05dB": plateau,
        "sweep": {"compile_s": sw.timings["compile_s"], "run_s": sw.timings["run_s"], "wall_s": sweep_wall},
        "solve": {"compile_s": first.timings["compile_s"], "first_run_s": first.timings["run_s"],
                  "second_run_s": run_s[0], "run_s": float(np.median(run_s)), "run_s_all": run_s,
                  "status": runs[-1].status.name, "num_iters": runs[-1].num_iters},
        "solve_with_reference": {"compile_s": with_ref[0].timings["compile_s"],
                                 "run_s": with_ref[1].timings["run_s"]},
        "admm_same_lam": admm,
    }


# ------------------------------------------------------------------------------------------------ scikit-image
def run_skimage(clean, noisy, args):
    from skimage.restoration import denoise_tv_bregman, denoise_tv_chambolle

    out = {}
    peers = {
        "chambolle": (lambda w, **kw: denoise_tv_chambolle(noisy, weight=w, channel_axis=-1, **kw),
                      np.geomspace(args.chambolle_min, args.chambolle_max, args.points)),
        "bregman": (lambda w, **kw: denoise_tv_bregman(noisy, weight=w, channel_axis=-1, **kw),
                    np.geomspace(args.bregman_min, args.bregman_max, args.points)),
    }
    for name, (fn, grid) in peers.items():
        scores = np.asarray([psnr(fn(float(w)), clean) for w in grid])
        i = int(np.argmax(scores))
        w = float(grid[i])
        fn(w)  # warm caches
        t, ts, img = C.median_time(lambda: fn(w), args.repeats)
        out[name] = {"grid_weight": grid, "psnr_per_weight": scores, "best_weight": w, "best_index": i,
                     "best_at_grid_edge": i in (0, len(grid) - 1), "psnr": float(scores[i]),
                     "time_s": t, "time_s_all": ts, "dtype": str(img.dtype)}
        if name == "chambolle":
            t, ts, img = C.median_time(lambda: fn(w, eps=0.0, max_num_iter=args.iters), args.repeats)
            out[name]["fixed_iters"] = {"max_num_iter": args.iters, "eps": 0.0, "time_s": t, "time_s_all": ts,
                                        "psnr": psnr(img, clean)}
    return out


# ------------------------------------------------------------------------------------------------ SCICO
def scico_pythons(args):
    """Interpreters to run the SCICO part with, and why none when empty."""
    if args.no_scico:
        return [], "disabled with --no-scico"
    if args.scico_python:
        return list(args.scico_python), None
    try:
        import scico  # noqa: F401
        return [sys.executable], None
    except ImportError:
        pass
    found = [p for p in SCICO_VENVS if os.path.exists(p)]
    if found:
        return found, None
    return [], ("scico is not importable here and no --scico-python was given. scico 0.0.7 (the newest on PyPI) "
                "declares jax<=0.8.1, jaxlib<=0.8.1, flax<=0.12.0, so it cannot be installed next to jaxreg's "
                "jax 0.10.2 without overriding its pins; install it in a separate venv "
                "(e.g. `python3 -m venv --system-site-packages /tmp/scico-venv && "
                "/tmp/scico-venv/bin/pip install --no-deps scico`) and pass --scico-python")


def run_scico(python, noisy_list, lams, rho, args):
    helper = Path(__file__).resolve().parent / "_scico_tv.py"
    with tempfile.TemporaryDirectory() as tmp:
        inp, oj, on = (os.path.join(tmp, n) for n in ("in.npz", "out.json", "out.npz"))
        np.savez(inp, noisy=np.stack(noisy_list).astype(np.float32), lam=np.asarray(lams, np.float64),
                 rho=rho, iters=args.iters, repeats=args.scico_repeats)
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        proc = subprocess.run([python, str(helper), inp, oj, on], capture_output=True, text=True, env=env,
                              timeout=args.scico_timeout)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
            return {"python": python, "error": f"exit {proc.returncode}: " + " | ".join(tail)}
        with open(oj) as f:
            res = json.load(f)
        imgs = dict(np.load(on, allow_pickle=False))
    res["python"] = python
    res["images"] = imgs
    return res


# ------------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=256, help="image side (default 256)")
    ap.add_argument("--images", default="astronaut,f16,kate",
                    help=f"comma list from {', '.join(IMAGES)} (default astronaut,f16,kate)")
    ap.add_argument("--sigma", type=float, default=0.1)
    ap.add_argument("--iters", type=int, default=100, help="maximum iterations (default 100)")
    ap.add_argument("--points", type=int, default=12, help="grid points for every method (default 12)")
    C.add_range(ap, "lam", 0.02, 0.3)
    C.add_range(ap, "chambolle", 0.02, 0.3)
    C.add_range(ap, "bregman", 2.0, 60.0)
    ap.add_argument("--repeats", type=int, default=5, help="timed repetitions (median), jaxreg and skimage")
    ap.add_argument("--scico-python", action="append",
                    help="Python with scico installed (repeatable); default: this one if it imports scico, "
                         f"else {', '.join(SCICO_VENVS)} if present")
    ap.add_argument("--scico-repeats", type=int, default=2)
    ap.add_argument("--scico-timeout", type=int, default=1200)
    ap.add_argument("--no-scico", action="store_true")
    C.add_io_args(ap, name="tv_denoise")
    args = ap.parse_args(argv)

    env = C.environment()
    data_dir = C.data_dir(args.data)
    images, skipped = load_images([n for n in args.images.split(",") if n], args.size, data_dir)
    for name, why in skipped.items():
        print(f"SKIPPED image {name}: {why}")
    if not images:
        print("SKIPPED tv_denoise: no image available")
        return
    grid = np.geomspace(args.lam_min, args.lam_max, args.points)

    rows = {}
    noisy_all = {}
    for k, (name, clean) in enumerate(images.items()):
        noisy = np.asarray(data.add_gaussian_noise(jax.random.key(k), jnp.asarray(clean), args.sigma))
        noisy_all[name] = noisy
        print(f"[{name}] {clean.shape} noise key {k}: PSNR(noisy) {psnr(noisy, clean):.2f} dB", flush=True)
        jr = run_jaxreg(clean, noisy, grid, args)
        print(f"[{name}] jaxreg: best lam {jr['best_lam']:.4g} PSNR {jr['psnr']:.2f} dB; sweep compile "
              f"{jr['sweep']['compile_s']:.2f} s run {jr['sweep']['run_s']:.2f} s; solve run {jr['solve']['run_s']:.3f} s",
              flush=True)
        sk = run_skimage(clean, noisy, args)
        print(f"[{name}] skimage: chambolle {sk['chambolle']['psnr']:.2f} dB ({C.fmt_s(sk['chambolle']['time_s'])}), "
              f"bregman {sk['bregman']['psnr']:.2f} dB ({C.fmt_s(sk['bregman']['time_s'])})", flush=True)
        rows[name] = {"shape": list(clean.shape), "noise_key": k, "psnr_noisy": psnr(noisy, clean),
                      "jaxreg": jr, "skimage": sk}

    # SCICO: one subprocess per interpreter, all images
    pythons, why_not = scico_pythons(args)
    scico_runs = []
    names = list(rows)
    for py in pythons:
        print(f"SCICO with {py} ...", flush=True)
        try:
            res = run_scico(py, [noisy_all[n] for n in names], [rows[n]["jaxreg"]["best_lam"] for n in names],
                            [RHO_PER_LAM * rows[n]["jaxreg"]["best_lam"] for n in names], args)
            # SCICO has ADMM only, with a fixed ρ: jaxreg's initial ρ (10·λ) at its best λ
        except (OSError, subprocess.TimeoutExpired) as err:
            res = {"python": py, "error": f"{type(err).__name__}: {err}"}
        if "error" in res:
            print(f"SCICO failed with {py}: {res['error']}")
        else:
            for r in res["results"]:
                n = names[r["index"]]
                r["image"] = n
                r["psnr"] = psnr(res["images"][f"{r['index']}_{r['config']}"], images[n])
                r["ratio_scico_over_jaxreg"] = r["run_s"] / rows[n]["jaxreg"]["solve"]["run_s"]
            del res["images"]
        scico_runs.append(res)
    scico_info = {"runs": scico_runs, "unavailable": why_not}

    fig = {"benchmark": "tv_denoise", "command": " ".join(["python"] + sys.argv), "arguments": vars(args),
           "jaxreg": jaxreg.__version__, "commit": C.git_commit(),
           "environment": env, "size": args.size, "sigma": args.sigma,
           "iters": args.iters, "points": args.points, "repeats": args.repeats,
           "jaxreg_method": {"name": "tv", **{k: getattr(methods.get("tv"), k) for k in
                                              ("algorithm", "rho", "isotropic", "circular", "adaptive", "tol")}},
           "grids": {"lam": grid, "chambolle": [args.chambolle_min, args.chambolle_max, "geomspace", args.points],
                     "bregman": [args.bregman_min, args.bregman_max, "geomspace", args.points]},
           "images": rows, "skipped_images": skipped, "scico": scico_info}
    C.write_results(args.name, fig, markdown(fig), args.out)


def markdown(fig):
    env, rows = fig["environment"], fig["images"]
    it = fig["iters"]
    lines = [f"# TV denoising, σ = {fig['sigma']}: jaxreg vs scikit-image vs SCICO", "",
             f"Recorded {C.env_line(env)}. Image size {fig['size']}×{fig['size']}×3, noise "
             f"`add_gaussian_noise(key(k), clean, {fig['sigma']})` (k = image index), no clipping. "
             f"PSNR by `jaxreg.metrics.psnr` (data_range 1). Timings are medians of {fig['repeats']} "
             f"repetitions. Commit {fig.get('commit') or 'unknown'}; command `{fig.get('command', '')}`.", "",
             f"* **jaxreg** `tv` with its defaults ({', '.join(f'{k}={v}' for k, v in fig['jaxreg_method'].items())}; "
             f"at most {it} iterations): for denoising that is Chambolle's projection with zero-flux differences and "
             f"the relative-change stop. `lam` by ONE `jaxreg.sweep` over `geomspace({fig['grids']['lam'][0]:g}, "
             f"{fig['grids']['lam'][-1]:g}, {fig['points']})` (oracle: best final PSNR). The solve time is one "
             "`jaxreg.solve` at the best `lam` after a first compiling call, without a reference (no per-iteration "
             "PSNR/SSIM); the sweep records PSNR+SSIM every iteration.",
             f"* **scikit-image** `denoise_tv_chambolle` over `geomspace{tuple(fig['grids']['chambolle'][:2])}` "
             f"and `denoise_tv_bregman` over `geomspace{tuple(fig['grids']['bregman'][:2])}` ({fig['points']} "
             "weights each, default stopping rules: chambolle eps 2e-4 / ≤ 200 iterations, bregman eps 1e-3 / "
             "≤ 100), best weight by PSNR (oracle); time of one call at the best weight.",
             f"* **SCICO** `optimize.ADMM` ({it} iterations, `SquaredL2Loss` + `lam·L21Norm` on "
             "`FiniteDifference(axes=(0, 1))`) at jaxreg's best `lam` and jaxreg's initial rho (10·lam, fixed: SCICO's ADMM does not balance it); post-compile time "
             "(state reset, `solve()` again). `append=0` + `LinearSubproblemSolver` (CG, SCICO defaults) and "
             "`circular=True` + `CircularConvolveSolver` (exact FFT x-update, jaxreg's algorithm).", ""]

    lines += ["## PSNR (dB)", ""]
    hdr = ["image", "noisy", "jaxreg `tv` (best lam)", "chambolle (best weight)", "bregman (best weight)",
           "jaxreg − best skimage", "target ≥ −0.1 dB"]
    scico_ok = [r for r in fig["scico"]["runs"] if "error" not in r]
    for r in scico_ok:
        hdr += [f"SCICO {c} (jax {r['jax']})" for c in ("append0_cg", "circular_fft")]
    body = []
    for name, row in rows.items():
        jr, sk = row["jaxreg"], row["skimage"]
        best_sk = max(sk["chambolle"]["psnr"], sk["bregman"]["psnr"])
        d = jr["psnr"] - best_sk
        edge = lambda b: " (grid edge!)" if b else ""  # noqa: E731
        cells = [name, C.fmt_db(row["psnr_noisy"]),
                 f"{jr['psnr']:.2f} ({jr['best_lam']:.4g}){edge(jr['best_at_grid_edge'])}",
                 f"{sk['chambolle']['psnr']:.2f} ({sk['chambolle']['best_weight']:.4g}){edge(sk['chambolle']['best_at_grid_edge'])}",
                 f"{sk['bregman']['psnr']:.2f} ({sk['bregman']['best_weight']:.4g}){edge(sk['bregman']['best_at_grid_edge'])}",
                 f"{d:+.2f}", "pass" if d >= -0.1 else "FAIL"]
        for r in scico_ok:
            for c in ("append0_cg", "circular_fft"):
                hit = [x for x in r["results"] if x["image"] == name and x["config"] == c]
                cells.append(C.fmt_db(hit[0]["psnr"]) if hit else "—")
        body.append(cells)
    lines += [C.table(hdr, body), ""]

    lines += ["## Time", "",
              f"jaxreg: sweep = one `jaxreg.sweep` of {fig['points']} values × {it} iterations with PSNR+SSIM "
              "histories (compile is 0 when the executable was cached by an earlier image of the same shape); "
              "solve = the default run at the best lam (it stops by its tol), post-compile. Ratios > 1 mean jaxreg "
             "is slower; the PSNR of both is in the table above (equal within 0.1 dB where it passes).", ""]
    hdr = ["image", "sweep compile", "sweep run", "solve compile", "solve run (iterations)",
           "chambolle (best w)", "bregman (best w)", "jaxreg / chambolle (target ≤ 2)", "jaxreg / bregman",
           f"chambolle, eps=0, {it} it"]
    body = []
    for name, row in rows.items():
        jr, sk = row["jaxreg"], row["skimage"]
        js = jr["solve"]["run_s"]
        body.append([name, C.fmt_s(jr["sweep"]["compile_s"]), C.fmt_s(jr["sweep"]["run_s"]),
                     C.fmt_s(jr["solve"]["compile_s"]), f"{C.fmt_s(js)} ({jr['solve']['num_iters']})",
                     C.fmt_s(sk["chambolle"]["time_s"]),
                     C.fmt_s(sk["bregman"]["time_s"]), f"{js / sk['chambolle']['time_s']:.1f}×",
                     f"{js / sk['bregman']['time_s']:.1f}×", C.fmt_s(sk["chambolle"]["fixed_iters"]["time_s"])])
    lines += [C.table(hdr, body), ""]

    if scico_ok:
        lines += [f"## SCICO ({it} ADMM iterations, post-compile, median of the SCICO repeats)", ""]
        hdr = ["image", "SCICO python", "scico / jax", "config", "first call (compile + run)", "run",
               "SCICO / jaxreg (target ≥ 5)", "PSNR"]
        body = []
        for r in scico_ok:
            for x in r["results"]:
                body.append([x["image"], f"`{r['python']}`", f"{r['scico']} / {r['jax']}", x["config"],
                             C.fmt_s(x["first_call_s"]), C.fmt_s(x["run_s"]),
                             f"{x['ratio_scico_over_jaxreg']:.1f}×", C.fmt_db(x["psnr"])])
        lines += [C.table(hdr, body), ""]
    for r in fig["scico"]["runs"]:
        if "error" in r:
            lines += [f"SCICO with `{r['python']}` failed: {r['error']}", ""]
    if fig["scico"]["unavailable"]:
        lines += [f"SCICO not run: {fig['scico']['unavailable']}", ""]

    lines += ["## Algorithm and boundary (informational)", "",
              f"jaxreg `tv` at the same best lam, {it} iterations without early stop: `algorithm=\"admm\"` with "
              "zero-flux differences (x-update exact by the DCT-II) and with circular differences (x-update by "
              "the FFT; the default before zero-flux differences and Chambolle's projection became it).", ""]
    body = []
    for n, r in rows.items():
        a = r["jaxreg"]["admm_same_lam"]
        body.append([n, C.fmt_db(r["jaxreg"]["psnr_solve"]), f"{C.fmt_s(r['jaxreg']['solve']['run_s'])}",
                     C.fmt_db(a["admm_neumann_dct"]["psnr"]), C.fmt_s(a["admm_neumann_dct"]["run_s"]),
                     C.fmt_db(a["admm_circular_fft"]["psnr"]), C.fmt_s(a["admm_circular_fft"]["run_s"])])
    lines += [C.table(["image", "default PSNR", "default run", "ADMM zero-flux (DCT) PSNR", f"run ({it} it)",
                       "ADMM circular (FFT) PSNR", f"run ({it} it)"], body), ""]
    lines += ["## Convergence", "",
              "Iterations jaxreg needs to come within 0.05 dB of its final PSNR (best lam, from the sweep's "
              "history); scikit-image's chambolle stops by its own rule.", ""]
    lines += [C.table(["image", "jaxreg iterations to final − 0.05 dB", f"jaxreg PSNR after {it}",
                       f"chambolle PSNR, eps=0, {it} it"],
                      [[n, r["jaxreg"]["iters_to_within_0.05dB"], C.fmt_db(r["jaxreg"]["psnr"]),
                        C.fmt_db(r["skimage"]["chambolle"]["fixed_iters"]["psnr"])] for n, r in rows.items()]), ""]
    if fig["skipped_images"]:
        lines += ["Skipped: " + ", ".join(f"{k} ({v})" for k, v in fig["skipped_images"].items()), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
