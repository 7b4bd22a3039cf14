"""Region fusion: the in-graph parallel algorithm against the published sequential sweep.

1. **Energies** on real 64×64 crops × λ ∈ {0.01, 0.025, 0.05, 0.1} (``max_loop = 50``): clean clip art
   (``clipart/gt``, RGB·α), its JPEG q10 version (``clipart/jpeg_q10``) and noisy photos (scikit-image's
   astronaut, coffee, chelsea and the DIP F-16, σ = 0.1, seeded).  Each crop is the 64×64 window, on a
   16-pixel grid, with the most gradient energy of its image.  Energy
   ``E = Σ‖S − I‖² + λ·#(4-neighbour pairs whose colour differs)`` of both results, and their ratio
   in-graph / sequential (the target: ≤ 1.02 on every case and a median ≤ 1.01).
2. **vmap over 12 λ**: one ``jax.jit(jax.vmap(...))`` call, its number of compilations, equality with 12
   separate calls, and both run times.
3. **Timing on the 400×378 clip art** ``clip1`` (its q10 JPEG and its ground truth, λ = 0.025, 50 passes):
   in-graph compile time and median post-compile run time; the sequential sweep (numba, when installed)
   median time; the pure-Python sweep once (``--python``).

    PYTHONPATH=. python benchmarks/region_fusion.py                # everything
    PYTHONPATH=. python benchmarks/region_fusion.py --repeats 3 --python
    PYTHONPATH=. python benchmarks/region_fusion.py --energies-only  # part 1; parts 2-3 kept from the last run

``--energies-only`` (a busy machine, where times mean little) re-runs the energy table and carries the vmap
and timing records of the previous result file over unchanged, labelled with the date they were measured.

Writes ``benchmarks/results/region_fusion.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

from jaxreg import data
from jaxreg.regularizers import l0_energy, region_fusion
from jaxreg.regularizers import _region_fusion_exact as exact_mod

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

LAMS = (0.01, 0.025, 0.05, 0.1)
CROP = 64


def busiest_crop(image: np.ndarray, size: int = CROP, step: int = 16) -> np.ndarray:
    """The ``size × size`` window (top-left corners on a ``step`` grid) with the largest gradient energy."""
    gh = np.sum(np.diff(image, axis=1) ** 2, axis=-1)
    gv = np.sum(np.diff(image, axis=0) ** 2, axis=-1)
    energy = np.zeros(image.shape[:2])
    energy[:, :-1] += gh
    energy[:-1] += gv
    best, corner = -1.0, (0, 0)
    for i in range(0, image.shape[0] - size + 1, step):
        for j in range(0, image.shape[1] - size + 1, step):
            e = energy[i:i + size, j:j + size].sum()
            if e > best:
                best, corner = e, (i, j)
    i, j = corner
    return np.ascontiguousarray(image[i:i + size, j:j + size])


def crops(root: Path) -> list:
    """``[(name, (64, 64, 3) float32)]``: 4 clean clip arts, their 4 JPEGs, 4 noisy photos."""
    out = []
    for k in (1, 3, 5, 7):
        out.append((f"clip{k} (clean)", busiest_crop(C.clipart_reference(root / "clipart" / "gt" / f"clip{k}.png"))))
    for k in (2, 4, 6, 8):
        out.append((f"clip{k} (JPEG q10)", busiest_crop(C.load_rgb(root / "clipart" / "jpeg_q10" / f"clip{k}.jpg"))))
    photos = [(name, np.asarray(data.sample_image(name))) for name in ("astronaut", "coffee", "chelsea")]
    photos.append(("F-16", C.load_rgb(root / "dip" / "denoising_F16_GT.png")))
    rng = np.random.default_rng(0)
    for name, img in photos:
        crop = busiest_crop(img)
        noisy = (crop + rng.normal(0.0, 0.1, crop.shape)).astype(np.float32)
        out.append((f"{name} (σ = 0.1)", noisy))
    return out


def energy(smooth, image, lam) -> float:
    return float(l0_energy(np.asarray(smooth, np.float64), np.asarray(image, np.float64), lam))


def energy_table(cases) -> tuple:
    parallel = jax.jit(region_fusion)
    rows, records = [], []
    for name, img in cases:
        for lam in LAMS:
            seq = exact_mod.region_fusion_exact_numpy(img, lam, 50)
            par = np.asarray(parallel(img, lam))
            e_seq, e_par = energy(seq, img, lam), energy(par, img, lam)
            ratio = e_par / e_seq
            records.append({"image": name, "lam": lam, "energy_sequential": e_seq, "energy_in_graph": e_par,
                            "ratio": ratio, "regions_sequential": int(len(np.unique(seq.reshape(-1, 3), axis=0))),
                            "regions_in_graph": int(len(np.unique(par.reshape(-1, 3), axis=0)))})
            rows.append([name, lam, f"{e_seq:.4f}", f"{e_par:.4f}", f"{ratio:.4f}"])
            print(f"{name:22s} λ={lam:<6} sequential {e_seq:10.4f}  in-graph {e_par:10.4f}  ratio {ratio:.4f}",
                  flush=True)
    ratios = [r["ratio"] for r in records]
    summary = {"cases": len(ratios), "max_ratio": max(ratios), "median_ratio": statistics.median(ratios),
               "min_ratio": min(ratios), "cases_above_1.02": sum(r > 1.02 for r in ratios)}
    return rows, records, summary


def vmap_check(img) -> dict:
    lams = jnp.linspace(0.005, 0.1, 12)
    batched = jax.jit(jax.vmap(lambda lam: region_fusion(img, lam)))
    t0 = time.perf_counter()
    out = C.block(batched(lams))
    first = time.perf_counter() - t0
    run, _, out = C.median_time(lambda: C.block(batched(lams)), 3)
    single = jax.jit(region_fusion)
    C.block(single(img, lams[0]))
    seq_run, _, singles = C.median_time(lambda: [C.block(single(img, lam)) for lam in lams], 3)
    equal = all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(out, singles))
    return {"num_lams": 12, "compilations": batched._cache_size(), "equal_to_separate_calls": equal,
            "first_call_s": first, "vmap_run_s": run, "separate_calls_run_s": seq_run}


def timing(root: Path, repeats: int, python: bool) -> list:
    results = []
    images = [("clip1 q10 JPEG", C.load_rgb(root / "clipart" / "jpeg_q10" / "clip1.jpg")),
              ("clip1 ground truth", C.clipart_reference(root / "clipart" / "gt" / "clip1.png"))]
    for name, img in images:
        lam = 0.025
        t0 = time.perf_counter()
        fn = jax.jit(region_fusion).lower(img, lam).compile()
        compile_s = time.perf_counter() - t0
        C.block(fn(img, lam))  # warm-up
        run, runs, par = C.median_time(lambda: C.block(fn(img, lam)), repeats)
        rec = {"image": name, "shape": list(img.shape), "lam": lam,
               "in_graph_compile_s": compile_s, "in_graph_run_s": run, "in_graph_runs_s": runs,
               "energy_in_graph": energy(par, img, lam), "numba": exact_mod.numba is not None}
        if exact_mod.numba is not None:
            exact_mod.region_fusion_exact_numpy(img[:8, :8], lam, 50)  # compile / load the numba cache
            seq_run, _, seq = C.median_time(lambda: exact_mod.region_fusion_exact_numpy(img, lam, 50), repeats)
            rec.update(sequential_numba_s=seq_run, energy_sequential=energy(seq, img, lam))
        if python:
            t0 = time.perf_counter()
            seq = exact_mod.region_fusion_exact_numpy(img, lam, 50, use_numba=False)
            rec.update(sequential_python_s=time.perf_counter() - t0, energy_sequential=energy(seq, img, lam))
        print(rec, flush=True)
        results.append(rec)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="the shared data folder (default ../shared/data)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--python", action="store_true", help="also time the pure-Python sequential sweep once")
    ap.add_argument("--out", help="output folder (default benchmarks/results)")
    ap.add_argument("--energies-only", action="store_true",
                    help="re-run only the energy table; keep the vmap and timing records of the previous result file")
    args = ap.parse_args(argv)
    root = C.require_data(args.data, "region-fusion benchmark")
    env = C.environment()

    cases = crops(root)
    rows, records, summary = energy_table(cases)
    carried = None
    if args.energies_only:
        previous = json.loads((Path(args.out) if args.out else C.RESULTS).joinpath("region_fusion.json").read_text())
        vm, times = previous["vmap"], previous["timing"]
        carried = previous.get("timing_environment", previous["environment"])
    else:
        vm = vmap_check(cases[4][1])
        times = timing(root, args.repeats, args.python)
    timed_on = carried or env

    md = [f"# Region fusion: in-graph (parallel) vs sequential\n\n{C.env_line(env)}\n",
          "Command: `PYTHONPATH=. python benchmarks/region_fusion.py" + (" --python" if args.python else "")
          + (" --energies-only" if args.energies_only else "") + "`\n"]
    if carried:
        md.append(f"**The vmap and timing sections below are carried over from the run of {carried['date']} "
                  f"({carried['device']}), not re-measured with the current code**; the full command "
                  "`PYTHONPATH=. python benchmarks/region_fusion.py` re-measures them.\n")
    md += [
          "## Energies, 64×64 crops, max_loop = 50\n",
          "E = Σ‖S − I‖² + λ·#(4-neighbour pairs whose colour differs); ratio = in-graph / sequential "
          "(< 1: the in-graph result has the lower energy).\n",
          C.table(["crop", "λ", "E sequential", "E in-graph", "ratio"], rows), "",
          f"**{summary['cases']} cases: max ratio {summary['max_ratio']:.4f}, median {summary['median_ratio']:.4f}, "
          f"min {summary['min_ratio']:.4f}; cases above 1.02: {summary['cases_above_1.02']}.**\n",
          "## vmap over 12 λ (64×64 JPEG crop)\n",
          f"compilations: {vm['compilations']}; equal to 12 separate calls: {vm['equal_to_separate_calls']}; "
          f"first call (compile + run) {C.fmt_s(vm['first_call_s'])}; vmapped run {C.fmt_s(vm['vmap_run_s'])}; "
          f"12 separate jitted calls {C.fmt_s(vm['separate_calls_run_s'])}.\n",
          "## Timing, clip1 400×378, λ = 0.025, 50 passes\n"]
    trows = []
    for t in times:
        compile_s = t["in_graph_compile_s"]
        compile_txt = C.fmt_s(compile_s) if compile_s > 0.05 else f"{C.fmt_s(compile_s)} (cached: same shape)"
        trows.append([t["image"], compile_txt, C.fmt_s(t["in_graph_run_s"]),
                      C.fmt_s(t.get("sequential_numba_s")), C.fmt_s(t.get("sequential_python_s")),
                      f"{t['energy_in_graph']:.3f}", f"{t.get('energy_sequential', float('nan')):.3f}"])
    md.append(C.table(["image", "in-graph compile", "in-graph run (median)", "sequential (numba)",
                       "sequential (pure Python)", "E in-graph", "E sequential"], trows))
    md.append("\nThe authors' C++ takes about 0.1 s on this kind of machine; it is not run here.")
    fig = {"environment": env, "energies": records, "summary": summary, "vmap": vm, "timing": times,
           "timing_environment": timed_on, "timing_carried_over": carried is not None}
    C.write_results("region_fusion", fig, "\n".join(md), args.out)


if __name__ == "__main__":
    main()
