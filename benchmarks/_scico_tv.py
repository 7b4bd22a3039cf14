"""SCICO side of ``tv_denoise.py``: isotropic TV denoising by ``scico.optimize.ADMM``.

Run as a subprocess with the Python that has SCICO installed (it need not have jaxreg):

    python benchmarks/_scico_tv.py INPUT.npz OUTPUT.json OUTPUT.npz

``INPUT.npz`` holds ``noisy`` (B, H, W, C) float32, ``lam`` (B,), ``rho`` (one per image, or one for all), ``iters``, ``repeats``.  For each
image and each configuration the solver is built once, ``solve()`` runs once (compiles the jitted
operators; Python loop over ``maxiter`` iterations, as SCICO always runs), then the state is reset to
the same initial point and ``solve()`` is timed ``repeats`` times (median reported).

Configurations (objective ``½‖x − y‖² + lam · Σ_{pixels, channels} ‖(D_h x, D_w x)‖₂`` in both):

* ``append0_cg``: ``FiniteDifference(axes=(0, 1), append=0)`` (zero flux at the far edges) and
  ``LinearSubproblemSolver`` (conjugate gradients, SCICO defaults: tol 1e-4, maxiter 100, warm start);
* ``circular_fft``: ``FiniteDifference(axes=(0, 1), circular=True)`` and ``CircularConvolveSolver``
  (exact x-update by FFT — the same algorithm as jaxreg's ``tv`` on a denoising problem).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings

import numpy as np


def main(argv):
    inp, out_json, out_npz = argv
    warnings.filterwarnings("ignore", message="In call to wrap_recursively")
    import jax
    import jax.numpy as jnp
    import scico
    from scico import functional, linop, loss
    from scico.optimize.admm import ADMM, CircularConvolveSolver, LinearSubproblemSolver

    d = np.load(inp, allow_pickle=False)
    noisy, lams = d["noisy"], d["lam"]
    rhos = np.broadcast_to(np.asarray(d["rho"], np.float64), lams.shape)  # one ρ per image (or one for all)
    iters, repeats = int(d["iters"]), int(d["repeats"])
    results, images = [], {}

    def build(y, lam, rho, config):
        shape = y.shape
        if config == "append0_cg":
            C = linop.FiniteDifference(input_shape=shape, input_dtype=y.dtype, axes=(0, 1), append=0)
            solver = LinearSubproblemSolver()
        else:
            C = linop.FiniteDifference(input_shape=shape, input_dtype=y.dtype, axes=(0, 1), circular=True)
            solver = CircularConvolveSolver()
        f = loss.SquaredL2Loss(y=y)
        g = lam * functional.L21Norm(l2_axis=0)
        return ADMM(f=f, g_list=[g], C_list=[C], rho_list=[rho], x0=y, maxiter=iters,
                    subproblem_solver=solver, itstat_options={"display": False})

    def reset(s, y):
        s.x = y
        s.z_list, s.z_list_old = s.z_init(y)
        s.u_list = s.u_init(y)
        s.itnum = 0

    for b in range(noisy.shape[0]):
        y = jnp.asarray(noisy[b])
        for config in ("append0_cg", "circular_fft"):
            s = build(y, float(lams[b]), float(rhos[b]), config)
            t0 = time.perf_counter()
            x = jax.block_until_ready(s.solve())
            first = time.perf_counter() - t0
            times = []
            for _ in range(repeats):
                reset(s, y)
                t0 = time.perf_counter()
                x = jax.block_until_ready(s.solve())
                times.append(time.perf_counter() - t0)
            run = statistics.median(times)
            images[f"{b}_{config}"] = np.asarray(x, np.float32)
            results.append({"index": b, "config": config, "lam": float(lams[b]), "rho": float(rhos[b]), "iters": iters,
                            "first_call_s": first, "run_s": run, "run_s_all": times,
                            "compile_s_estimate": max(first - run, 0.0)})
            print(f"scico image {b} {config}: first call {first:.2f} s, run {run:.3f} s (median of {repeats})",
                  flush=True)

    dev = jax.devices()[0]
    with open(out_json, "w") as f:
        json.dump({"scico": scico.__version__, "jax": jax.__version__, "device": str(dev), "results": results},
                  f, indent=2)
    np.savez(out_npz, **images)


if __name__ == "__main__":
    main(sys.argv[1:])
