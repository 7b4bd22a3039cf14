"""Every ADMM in the library converges over three decades of λ with its default settings.

With a fixed penalty ρ = 1, TV-ADMM needed ~2000 iterations at λ = 1e-3 on inpainting (8 dB after 200) and stayed
3–6 % above the optimum at λ = 1; the defaults (ρ₀ = 10 λ and relative residual balancing) must reach a long run's
objective within ``GAP`` in the default 200 iterations (the ``jaxreg restore`` default) for λ from 1e-3 to 1 on
denoising, inpainting (40 % of the pixels, no noise) and deblurring (9×9 Gaussian blur, σ = 0.01).  The long runs
take ~20 s, so these tests are ``slow``: ``python -m pytest tests/test_admm_convergence.py -m "slow or not slow"``.
"""

import numpy as np
import jax
import jax.numpy as jnp
import pytest

import jaxreg
from jaxreg import data, methods, nets, problems
from jaxreg.regularizers.tv import gradient, tv_of_gradient

KEY = jax.random.key(0)
LAMS = (1e-3, 1e-2, 1e-1, 1.0)
ITERS = 200          # the CLI's default iteration count
REFERENCE_ITERS = 2000
GAP = 1e-2           # relative objective gap to the long run


def _problems(size):
    clean = np.asarray(data.sample_image("coffee", size=size))
    rng = np.random.default_rng(1)
    noisy = (clean + 0.05 * rng.standard_normal(clean.shape)).astype(np.float32)
    mask = (rng.random(clean.shape[:2] + (1,)) < 0.4).astype(np.float32) * np.ones_like(clean)
    kernel = np.asarray(data.gaussian_kernel(9, 1.6))
    blurred = np.asarray(data.blur(clean, kernel)) + 0.01 * rng.standard_normal(clean.shape)
    return {"denoise": problems.Denoise(noisy), "inpaint": problems.Inpaint(clean * mask, mask),
            "deblur": problems.Deblur(blurred.astype(np.float32), kernel)}


PROBLEMS = _problems(64)


def _tv_objective(x, problem, lam):
    return float(methods.get("tv", lam=lam).objective(jnp.asarray(x), problem))


def _reference_objectives(problem):
    """Objectives of long TV-ADMM runs (tol 0, balancing on), one per λ, in one compiled sweep."""
    ref = jaxreg.sweep(problem, methods.get("tv", algorithm="admm", tol=0.0), {"lam": list(LAMS)}, key=KEY,
                       num_iters=REFERENCE_ITERS)
    return [_tv_objective(ref.images[i], problem, lam) for i, lam in enumerate(LAMS)]


@pytest.fixture(scope="module")
def references():
    return {kind: _reference_objectives(p) for kind, p in PROBLEMS.items()}


def _gaps(problem, method, reference):
    got = jaxreg.sweep(problem, method, {"lam": list(LAMS)}, key=KEY, num_iters=ITERS)
    return {lam: (_tv_objective(got.images[i], problem, lam) - reference[i]) / abs(reference[i])
            for i, lam in enumerate(LAMS)}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["denoise", "inpaint", "deblur"])
def test_tv_admm_reaches_the_long_run_objective_at_every_lam(kind, references):
    gaps = _gaps(PROBLEMS[kind], methods.get("tv", algorithm="admm"), references[kind])
    assert max(gaps.values()) <= GAP, gaps


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["denoise", "inpaint", "deblur"])
def test_pnp_admm_with_the_tv_prior_reaches_the_long_run_objective_at_every_lam(kind, references):
    gaps = _gaps(PROBLEMS[kind], methods.get("pnp-admm", prior="tv"), references[kind])
    assert max(gaps.values()) <= GAP, gaps


@pytest.mark.slow
def test_a_fixed_penalty_does_not_converge_at_large_lam(references):
    """What the defaults fix: ρ = 1 fixed stays far from the optimum at λ = 1 on deblurring (measured 6 %)."""
    gaps = _gaps(PROBLEMS["deblur"], methods.get("tv", rho=1.0, adaptive=False), references["deblur"])
    assert gaps[1.0] > 2 * GAP, gaps


def test_default_lam_follows_the_problem_kind():
    tv = methods.get("tv")
    y = PROBLEMS["denoise"].y
    assert tv.lam_for(problems.Denoise(y)) == 0.1
    assert float(tv.lam_for(problems.Denoise(y, sigma=0.2))) == pytest.approx(0.15)
    assert tv.lam_for(PROBLEMS["inpaint"]) == 1e-4
    assert tv.lam_for(PROBLEMS["deblur"]) == 1e-3
    k = np.asarray(data.gaussian_kernel(9, 1.6))
    assert float(tv.lam_for(problems.Deblur(y, k, sigma=0.02))) == pytest.approx(5 * 0.02 ** 2)
    # the default λ itself converges (inpainting's 1e-4, the smallest) and beats λ = 0.1 on noise-free inpainting
    p = PROBLEMS["inpaint"]
    clean = np.asarray(data.sample_image("coffee", size=64))
    r = jaxreg.solve(p, tv, key=KEY, num_iters=ITERS, reference=clean)
    r01 = jaxreg.solve(p, methods.get("tv", lam=0.1), key=KEY, num_iters=ITERS, reference=clean)
    assert r.history["psnr"][-1] > r01.history["psnr"][-1] + 1.0


# -- DIP-TV by ADMM ------------------------------------------------------------------------------------
SMALL = nets.Skip(channels_down=(8, 8), channels_up=(8, 8), channels_skip=(2, 2))
DIP_ITERS = 300
DIP_RATIO = 1.10


def _dip_objective(x, problem, lam):
    r = problem.residual(x)
    return float(jnp.mean(r * r) + lam * tv_of_gradient(gradient(x, (0, 1), (1.0, 1.0), False)) / r.size)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["denoise", "inpaint", "deblur"])
def test_dip_tv_admm_matches_direct_dip_tv_at_every_lam(kind):
    """A network's objective keeps falling as it fits the noise, so the reference is not a longer run but the
    same objective minimised directly (``dip-tv``: Adam on the differentiable TV, same key and iterations).
    The ADMM splitting with its defaults must end within 10 % of it at every λ (a fixed ρ = 1 ended 13–51 %
    above it at λ = 1e-3); measured: within 5 %."""
    p = _problems(48)[kind]
    kw = dict(net=SMALL, input_depth=4, stopping="none")
    admm = jaxreg.sweep(p, methods.get("dip-tv-admm", **kw), {"tv_weight": list(LAMS)}, key=KEY,
                        num_iters=DIP_ITERS)
    direct = jaxreg.sweep(p, methods.get("dip-tv", **kw), {"tv_weight": list(LAMS)}, key=KEY, num_iters=DIP_ITERS)
    ratios = {lam: _dip_objective(admm.state["x"][i], p, lam) / _dip_objective(direct.state["x"][i], p, lam)
              for i, lam in enumerate(LAMS)}
    assert max(ratios.values()) <= DIP_RATIO, ratios
