"""No-reference criteria (jaxreg.selection): SURE's unbiasedness where the truth is known, hold-out and
J-invariance picking the oracle's λ, stopping by a criterion, and the eager errors."""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp
import pytest

import jaxreg
from jaxreg import data, methods, problems, selection
from jaxreg._pytree import pytree_dataclass, static
from jaxreg.methods.base import Method
from jaxreg.operators import difference_symbol, kernel_otf, solve_normal
from jaxreg.problems import normal_operator
from jaxreg.tune import default_criterion

KEY = jax.random.key(0)


def crop(name="astronaut", size=32, top=100, left=180):
    return np.asarray(data.sample_image(name, size=256))[top:top + size, left:left + size]


def noisy(clean, sigma, seed):
    return (clean + sigma * np.asarray(jax.random.normal(jax.random.key(seed), clean.shape))).astype(np.float32)


def tikhonov_gain(shape, lam):
    """The DFT gain of Tikhonov denoising, ``1/(1 + lam·s)`` with ``s`` the circular Laplacian symbol."""
    return 1.0 / (1.0 + lam * np.asarray(difference_symbol(shape, {0: 1.0, 1: 1.0}))[..., 0])


# ------------------------------------------------------------------------------------------------
# SURE where the truth is known: Tikhonov denoising is a linear smoother, diagonal in the DFT
# ------------------------------------------------------------------------------------------------
def test_sure_divergence_of_a_linear_smoother_matches_the_exact_trace():
    clean, sigma, lam = crop(), 0.1, 0.5
    p = problems.Denoise(noisy(clean, sigma, 1), sigma=sigma)
    crit = selection.SURE()
    r = jaxreg.solve(p, methods.get("tikhonov", lam=lam, tol=1e-6), key=KEY, num_iters=300, criteria=(crit,))
    assert r.history["residual"][r.num_iters - 1] <= 1e-5  # CG solved the system: the smoother is linear
    h, w, c = clean.shape
    g = tikhonov_gain((h, w, 1), lam)  # (H, W)
    trace = c * g.sum()
    # the MC estimate, recovered from the recorded SURE value
    x = np.asarray(r.image, np.float64)
    y = np.asarray(p.y, np.float64)
    n = y.size
    sure = float(r.history["sure"][r.num_iters - 1])
    div_mc = (sure - np.sum((y - x) ** 2) / n + sigma ** 2) * n / (2 * sigma ** 2)
    # 1) the finite difference is exact for this probe: bᵀ J b with J applied in closed form
    group, pdata = selection.make_plan(p, methods.get("tikhonov"), (crit,)).build(p, selection.probe_key(KEY))
    b = np.asarray(pdata["sure"]["b"], np.float64)
    jb = np.real(np.fft.ifft2(np.fft.fft2(b, axes=(0, 1)) * g[..., None], axes=(0, 1)))
    np.testing.assert_allclose(div_mc, np.sum(b * jb), rtol=1e-3)
    # 2) and a Rademacher probe estimates the trace within its standard deviation, 2 Σ_{i≠j} J_ij²
    frob2 = c * np.sum(g ** 2)
    diag2 = n * (g.sum() / (h * w)) ** 2
    sd = np.sqrt(2 * (frob2 - diag2))
    assert abs(div_mc - trace) <= 4 * sd, (div_mc, trace, sd)


def test_sure_is_unbiased_over_50_noise_draws():
    clean, sigma, lam = crop(size=24), 0.1, 0.3
    draws = [problems.Denoise(noisy(clean, sigma, 10 + i), sigma=sigma) for i in range(50)]
    r = jaxreg.sweep(draws, methods.get("tikhonov", tol=1e-6), {"lam": [lam]}, key=KEY, num_iters=300,
                     criteria=("sure",))
    sure = np.array([r.history["sure"][0, i, r.num_iters[0, i] - 1] for i in range(50)], np.float64)
    mse = np.mean((np.asarray(r.images[0], np.float64) - clean[None]) ** 2, axis=(1, 2, 3))
    diff = sure - mse
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert abs(diff.mean()) <= 3 * se, (diff.mean(), se)
    # the estimate is informative: it tracks the per-draw MSE's mean to a few per cent
    assert abs(sure.mean() - mse.mean()) <= 0.05 * mse.mean()


@pytest.mark.parametrize("exact", [None, False], ids=["exact-trace", "monte-carlo"])
def test_projected_gsure_is_unbiased_for_wiener_deconvolution(exact):
    # exact=None: Wiener is a linear filter, so the trace is computed exactly; exact=False: the paired run
    crit = "sure" if exact is None else selection.GSURE(exact=False)
    clean, sigma, balance = crop(size=32), 0.02, 0.01
    kernel = np.outer(*2 * [np.array([1, 4, 6, 4, 1], np.float32) / 16])
    blurred = np.asarray(jaxreg.operators.CircularConvolution(kernel, clean.shape).apply(clean))
    draws = [problems.Deblur(noisy(blurred, sigma, 200 + i), kernel, sigma=sigma) for i in range(50)]
    r = jaxreg.sweep(draws, methods.get("wiener"), {"balance": [balance]}, key=KEY, num_iters=1,
                     criteria=(crit,))  # "sure" on a circular Deblur is projected GSURE
    name = "sure" if exact is None else "gsure"
    assert r.history[name].shape == (1, 50, 1)
    gs = np.asarray(r.history[name][0, :, 0], np.float64)
    otf = np.asarray(kernel_otf(jnp.asarray(kernel), clean.shape))
    keep = np.abs(otf) ** 2 > selection.GSURE().threshold * np.max(np.abs(otf) ** 2)
    err = np.asarray(r.images[0], np.float64) - clean[None]
    proj = np.real(np.fft.ifft2(np.fft.fft2(err, axes=(1, 2)) * keep[None], axes=(1, 2)))
    true = np.mean(proj ** 2, axis=(1, 2, 3))
    diff = gs - true
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert abs(diff.mean()) <= 3 * se, (diff.mean(), se)


@pytest.mark.parametrize("kind", ["sure", "psure", "gsure"])
def test_exact_trace_of_a_linear_filter_equals_the_dense_jacobian(kind):
    # Wiener is F⁻¹(W ⊙ F y): the SURE family uses tr(L J) in closed form (no paired run, no probe); here J is
    # built column by column on an 8×8×2 image and the criterion's value recomputed from it
    rng = np.random.default_rng(0)
    y = rng.random((8, 8, 2)).astype(np.float32)
    kernel = np.outer(*2 * [np.array([1, 2, 1], np.float32) / 4])
    # σ = 1: the trace term dominates the value, so an error in it shows
    p = problems.Denoise(y, sigma=1.0) if kind == "sure" else problems.Deblur(y, kernel, sigma=1.0)
    m = methods.get("wiener", balance=0.05)
    plan = selection.make_plan(p, m, (kind,))
    assert plan.criteria[0].exact and plan.sizes == (0,)  # no companion run
    group, data = plan.build(p, selection.probe_key(KEY))
    base = jnp.asarray(m.compute(p))
    value = float(plan.scores(p, base[None], data, method=m)[kind])
    f = lambda v: m.compute(p.replace(y=v))  # noqa: E731
    jac = np.asarray(jax.jacfwd(f)(jnp.asarray(y)), np.float64).reshape(y.size, y.size)
    n, s2 = y.size, 1.0
    x = np.asarray(base, np.float64).ravel()
    yy = y.astype(np.float64).ravel()
    if kind == "sure":
        expected = np.sum((yy - x) ** 2) / n - s2 + 2 * s2 * np.trace(jac) / n
    else:
        a = np.asarray(jax.jacfwd(p.forward)(jnp.asarray(y)), np.float64).reshape(n, n)
        if kind == "psure":
            expected = (np.sum((yy - a @ x) ** 2) - n * s2 + 2 * s2 * np.trace(a @ jac)) / n
        else:
            g, keep = selection._pinv_symbols(p, selection.GSURE().threshold)
            apply = lambda sym, v: selection._apply_symbol(sym, v)  # noqa: E731
            pinv = np.asarray(jax.jacfwd(lambda v: apply(g, v))(jnp.asarray(y)), np.float64).reshape(n, n)
            proj = pinv @ a
            expected = (np.sum((proj @ x - pinv @ yy) ** 2) - s2 * np.sum(pinv ** 2)
                        + 2 * s2 * np.trace(pinv.T @ jac)) / n
    np.testing.assert_allclose(value, expected, rtol=2e-4, atol=1e-6)


def test_exact_trace_needs_a_linear_filter():
    p = problems.Denoise(crop(size=16), sigma=0.1)
    with pytest.raises(ValueError, match="exact=True needs a linear"):
        selection.make_plan(p, methods.get("tv"), (selection.SURE(exact=True),))
    assert not selection.make_plan(p, methods.get("tv"), ("sure",)).criteria[0].exact


def test_sure_of_tv_is_stable_in_eps():
    clean, sigma = crop(size=48), 0.1
    p = problems.Denoise(noisy(clean, sigma, 3), sigma=sigma)
    values = []
    for scale in (0.001, 0.01, 0.1):
        r = jaxreg.solve(p, methods.get("tv", lam=0.05), key=KEY, num_iters=100,
                         criteria=(selection.SURE(eps_scale=scale),))
        values.append(float(r.history["sure"][-1]))
    mse = float(np.mean((np.asarray(r.image) - clean) ** 2))
    # the three steps agree to a small fraction of the MSE itself
    assert np.ptp(values) <= 0.02 * mse, (values, mse)
    assert abs(values[1] - mse) <= 0.15 * mse


# ------------------------------------------------------------------------------------------------
# picking λ like the oracle on a case with a clear optimum (scikit-image's calibrate_denoiser test)
# ------------------------------------------------------------------------------------------------
LAMS = [0.003, 0.01, 0.03, 0.1, 0.3]


def test_j_invariance_and_sure_pick_the_oracle_lambda_for_tv_denoising():
    clean, sigma = crop("chelsea", size=48, top=60, left=120), 0.1
    y = noisy(clean, sigma, 4)
    r = jaxreg.sweep(problems.Denoise(y), methods.get("tv"), {"lam": LAMS}, key=KEY, num_iters=100,
                     reference=clean, criteria=("j-invariance",))
    oracle = r.best("psnr").index
    assert r.best("j-invariance").index == oracle
    r2 = jaxreg.sweep(problems.Denoise(y, sigma=sigma), methods.get("tv"), {"lam": LAMS}, key=KEY,
                      num_iters=100, reference=clean, criteria=("sure",))
    assert r2.best("sure").index == oracle


def test_holdout_picks_the_oracle_lambda_for_tv_inpainting():
    clean = crop("astronaut", size=48)
    mask = np.asarray(jax.random.uniform(jax.random.key(5), clean.shape[:2]) < 0.5, np.float32)
    p = problems.Inpaint(clean * mask[..., None], mask)
    lams = [1e-4, 1e-3, 1e-2, 1e-1]
    r = jaxreg.sweep(p, methods.get("tv", adaptive=True, tol=0.0), {"lam": lams}, key=KEY, num_iters=300,
                     reference=clean, criteria=(selection.Holdout(folds=2),))
    assert r.best("holdout").index == r.best("psnr").index
    assert r.history["holdout"].shape == (4, 300)


def test_holdout_whole_image_estimate_combines_folds_and_observed_residual():
    # scope="image" (default) = (#missing · hold-out MSE + Σ_observed (y − x̂)²) / N; scope="missing" is the first
    clean = crop("astronaut", size=32)
    mask = np.asarray(jax.random.uniform(jax.random.key(7), clean.shape[:2]) < 0.4, np.float32)
    p = problems.Inpaint(clean * mask[..., None], mask)
    tv = methods.get("tv", lam=0.01)
    miss = jaxreg.solve(p, tv, key=KEY, num_iters=40, criteria=(selection.Holdout(scope="missing"),))
    img = jaxreg.solve(p, tv, key=KEY, num_iters=40, criteria=("holdout",))
    m = np.broadcast_to(mask[..., None], clean.shape)
    resid = float(np.sum(m * (np.asarray(p.y) - np.asarray(img.image)) ** 2))
    expected = ((m.size - m.sum()) * float(miss.history["holdout"][-1]) + resid) / m.size
    np.testing.assert_allclose(float(img.history["holdout"][-1]), expected, rtol=1e-4)
    # on noise-free data the observed part is exact: the estimate tracks the whole-image MSE, not only the missing
    true = float(np.mean((np.asarray(img.image) - clean) ** 2))
    assert abs(float(img.history["holdout"][-1]) - true) < abs(float(miss.history["holdout"][-1]) - true)


def test_sweep_criterion_equals_solve_criterion():
    clean, sigma = crop(size=32), 0.1
    p = problems.Denoise(noisy(clean, sigma, 6), sigma=sigma)
    r = jaxreg.sweep(p, methods.get("tv"), {"lam": [0.02, 0.08]}, key=KEY, num_iters=30, criteria=("sure",))
    one = jaxreg.solve(p, methods.get("tv", lam=0.08), key=KEY, num_iters=30, criteria=("sure",))
    scale = float(np.max(np.abs(one.history["sure"])))
    np.testing.assert_allclose(r.history["sure"][1], one.history["sure"], atol=1e-4 * scale + 1e-6)


# ------------------------------------------------------------------------------------------------
# stopping by a criterion
# ------------------------------------------------------------------------------------------------
@pytree_dataclass
class Landweber(Method):
    """A toy iterative denoiser that overfits: from a smooth start, ``x ← x + τ (y − x)``; with ``stopping``."""

    name = "landweber-test"
    tau: float = 0.05
    stopping: str = static(default="none")
    patience: int = static(default=5)

    def init(self, key, problem):
        y = problem.y
        return {"x": jnp.broadcast_to(jnp.mean(y, axis=(0, 1)), y.shape)}

    def step(self, state, problem):
        return {"x": state["x"] + self.tau * (problem.y - state["x"])}

    def output(self, state):
        return state["x"]


@pytree_dataclass
class Settling(Method):
    """A toy whose raw iterates ``x_t = (t − 40.3)² · rate · pattern`` move fast, settle near ``t = 40`` and move
    again, with an exponential average ``a`` as its output (as DIP): ES-WMV through the driver, no network."""

    name = "settling-test"
    rate: float = 1e-3
    ema: float = 0.8
    stopping: str = static(default="none")
    window: int = static(default=6)
    patience: int = static(default=15)

    def init(self, key, problem):
        x = jnp.zeros_like(problem.y)
        return {"t": jnp.asarray(0, jnp.int32), "x": x, "avg": x}

    def step(self, state, problem):
        t = state["t"] + 1
        x = jnp.square(t - 40.3).astype(problem.y.dtype) * self.rate * problem.y
        return {"t": t, "x": x, "avg": self.ema * state["avg"] + (1.0 - self.ema) * x}

    def output(self, state):
        return state["avg"]

    def iterate(self, state):
        return state["x"]

    def stopping_delay(self):
        return jnp.round(self.ema / (1.0 - self.ema)).astype(jnp.int32)


def test_es_wmv_is_the_drivers_rule_for_any_method():
    """ES-WMV runs in the driver's one stopping component: a toy method with an average gets the variance of
    its raw iterates, the average ``delay`` iterations after the valley, and the stop after ``patience``."""
    y = jnp.asarray(np.linspace(0.1, 0.9, 4 * 4 * 3, dtype=np.float32).reshape(4, 4, 3))
    p = problems.Denoise(y)
    m = Settling(stopping="es-wmv")
    r = jaxreg.solve(p, m, key=KEY, num_iters=200, reference=y)
    # the reference: the raw and averaged iterates, replayed in float64
    t = np.arange(1, 201, dtype=np.float64)
    xs = (t - 40.3)[:, None] ** 2 * 1e-3 * np.asarray(y, np.float64).ravel()[None]
    var = np.full(200, np.inf)
    for i in range(m.window - 1, 200):
        w = xs[i - m.window + 1:i + 1]
        var[i] = np.sum((w - w.mean(0)) ** 2) / m.window
    valley = int(np.argmin(var))  # 0-based
    delay = 4  # round(0.8 / 0.2)
    stop = valley + m.patience + 1  # iterations run
    assert r.status == jaxreg.Status.CONVERGED and r.num_iters == stop
    # float32 variance of values ~ (t − 40)² · 1e-3: relative error a few eps per term
    np.testing.assert_allclose(r.history["es-wmv"][m.window - 1:stop], var[m.window - 1:stop], rtol=1e-4)
    assert int(r.history["selected_iteration"][-1]) == valley + delay + 1
    avg = np.zeros(xs.shape[1])
    for i in range(valley + delay + 1):
        avg = 0.8 * avg + 0.2 * xs[i]
    np.testing.assert_allclose(np.asarray(r.image).ravel(), avg, rtol=1e-4, atol=1e-6)
    # the trajectory beside the kept image, and one compiled sweep selecting per grid point
    assert "psnr_iterate" in r.history
    s = jaxreg.sweep(p, m, {"ema": [0.8, 0.0]}, key=KEY, num_iters=200)
    assert int(s.history["selected_iteration"][0, stop - 1]) == valley + delay + 1
    assert int(s.history["selected_iteration"][1, stop - 1]) == valley + 1  # no average: no delay
    np.testing.assert_allclose(np.asarray(s.images[1]).ravel(), xs[valley], rtol=1e-4, atol=1e-6)


def test_stopping_by_sure_keeps_the_lowest_estimate_and_stops_after_patience():
    clean, sigma, tau = crop(size=32), 0.2, 0.05
    y = noisy(clean, sigma, 7)
    p = problems.Denoise(y, sigma=sigma)
    # float32 error of the toy's iterate: the starting mean (log2 n terms) and the rounding of each contracting
    # step (≤ eps·|y| each, summed geometrically: 1/τ)
    atol = 4 * np.finfo(np.float32).eps * np.abs(y).max() * (np.log2(y.size) + 1 / tau)
    rec = jaxreg.solve(p, Landweber(tau=tau), key=KEY, num_iters=200, reference=clean, criteria=("sure",))
    assert rec.num_iters == 200  # recording only: no stopping
    best_rec = int(np.argmin(rec.history["sure"])) + 1
    assert 1 < best_rec < 150  # the estimate has a valley (the toy overfits)
    r = jaxreg.solve(p, Landweber(tau=tau, stopping="sure", patience=7), key=KEY, num_iters=200, reference=clean)
    best = int(np.argmin(r.history["sure"])) + 1  # the run's own estimates decide
    assert abs(best - best_rec) <= 1
    assert r.status == jaxreg.Status.CONVERGED
    assert r.num_iters == best + 7
    assert int(r.history["selected_iteration"][-1]) == best
    np.testing.assert_allclose(r.history["psnr"][-1], r.history["psnr_iterate"][best - 1], rtol=1e-6)
    # the returned image is the iterate at the selected iteration
    again = jaxreg.solve(p, Landweber(tau=tau), key=KEY, num_iters=best)
    np.testing.assert_allclose(r.image, again.image, atol=atol)
    # and sweep selects per grid point
    s = jaxreg.sweep(p, Landweber(stopping="sure", patience=7), {"tau": [tau, 2 * tau]}, key=KEY, num_iters=200)
    assert s.num_iters[0] == int(np.argmin(s.history["sure"][0])) + 1 + 7
    kept = jaxreg.solve(p, Landweber(tau=tau), key=KEY, num_iters=int(s.num_iters[0]) - 7)
    np.testing.assert_allclose(s.images[0], kept.image, atol=atol)
    assert s.scores("sure")[0] == pytest.approx(float(np.nanmin(s.history["sure"][0])), rel=1e-6)
    assert s.scores("sure")[0] == pytest.approx(float(np.min(rec.history["sure"])), rel=1e-3)


def test_network_methods_use_a_larger_sure_step():
    # ε = 0.3 σ for methods that train a network (a paired run at 0.01 σ decorrelates), 0.01 σ otherwise;
    # a criterion passed as an instance is used as given
    p = problems.Denoise(crop(size=32), sigma=0.1)
    dip = selection.make_plan(p, methods.get("dip", stopping="sure", patience=5))
    assert dip.criteria[0].eps_scale == selection.NETWORK_EPS_SCALE == 0.3
    assert dip.criteria[0].step_size(p) == pytest.approx(0.03)
    assert selection.make_plan(p, methods.get("dip-tv"), ("sure",)).criteria[0].eps_scale == 0.3
    assert selection.make_plan(p, methods.get("tv"), ("sure",)).criteria[0].eps_scale == 0.01
    assert selection.make_plan(p, methods.get("alr"), ("sure",)).criteria[0].eps_scale == 0.1
    for hard in ("l0-smoothing", "region-fusion"):  # hard decisions: a step that averages over them
        assert selection.make_plan(p, methods.get(hard), ("sure",)).criteria[0].eps_scale == 0.1
    assert methods.get("dip").sure_eps_scale == selection.NETWORK_EPS_SCALE
    given = selection.make_plan(p, methods.get("dip"), (selection.SURE(eps_scale=0.01),))
    assert given.criteria[0].eps_scale == 0.01
    assert selection.make_plan(p, methods.get("dip"), ("j-invariance",)).criteria[0].name == "j-invariance"


@pytest.mark.slow
def test_dip_stopped_by_sure_is_near_its_oracle_iterate():
    clean, sigma = crop(size=48), 0.1
    p = problems.Denoise(np.clip(noisy(clean, sigma, 8), 0, 1), sigma=sigma)
    m = methods.get("dip", stopping="sure", patience=300)
    r = jaxreg.solve(p, m, key=KEY, num_iters=1200, reference=clean)
    oracle = float(np.nanmax(r.history["psnr_iterate"]))
    assert float(jaxreg.metrics.psnr(r.image, clean, data_range=1.0)) >= oracle - 0.5


# ------------------------------------------------------------------------------------------------
# eager errors
# ------------------------------------------------------------------------------------------------
def test_bad_criteria_are_rejected_before_compiling():
    y = crop(size=32)
    den = problems.Denoise(y, sigma=0.1)
    tv = methods.get("tv")
    with pytest.raises(ValueError, match="unknown criterion"):
        jaxreg.solve(den, tv, key=KEY, num_iters=2, criteria=("gcv",))
    with pytest.raises(ValueError, match="needs the noise level"):
        jaxreg.solve(problems.Denoise(y), tv, key=KEY, num_iters=2, criteria=("sure",))
    with pytest.raises(ValueError, match="needs an Inpaint"):
        jaxreg.sweep(den, tv, {"lam": [0.1]}, key=KEY, num_iters=2, criteria=("holdout",))
    with pytest.raises(ValueError, match="eps must be"):
        jaxreg.solve(den, tv, key=KEY, num_iters=2, criteria=(selection.SURE(eps=0.0),))
    with pytest.raises(ValueError, match="eps_scale"):
        jaxreg.solve(den, tv, key=KEY, num_iters=2, criteria=(selection.SURE(eps_scale=5.0),))
    with pytest.raises(ValueError, match="probe"):
        jaxreg.solve(den, tv, key=KEY, num_iters=2, criteria=(selection.SURE(probe="uniform"),))
    with pytest.raises(ValueError, match="fraction"):
        mask = np.ones(y.shape[:2], np.float32)
        jaxreg.solve(problems.Inpaint(y, mask), tv, key=KEY, num_iters=2, criteria=(selection.Holdout(fraction=1.5),))
    with pytest.raises(ValueError, match="scope"):
        mask = np.ones(y.shape[:2], np.float32)
        jaxreg.solve(problems.Inpaint(y, mask), tv, key=KEY, num_iters=2, criteria=(selection.Holdout(scope="all"),))
    with pytest.raises(ValueError, match="repeated"):
        jaxreg.solve(den, tv, key=KEY, num_iters=2, criteria=("sure", "sure"))
    with pytest.raises(ValueError, match="stopping must be one of"):
        jaxreg.solve(den, methods.get("dip", stopping="oracle"), key=KEY, num_iters=2)
    with pytest.raises(ValueError, match="needs the noise level"):
        jaxreg.solve(problems.Denoise(y), methods.get("dip", stopping="sure"), key=KEY, num_iters=2)
    with pytest.raises(ValueError, match="stopping must be one of"):
        jaxreg.solve(den, methods.get("dip-l0", stopping="es-wmv"), key=KEY, num_iters=2)
    with pytest.raises(ValueError, match="needs an Inpaint"):
        jaxreg.solve(den, methods.get("ngr-denoise", stopping="holdout"), key=KEY, num_iters=2)
    blur = problems.Deblur(y, np.ones((3, 3)) / 9, boundary="replicate", sigma=0.01)
    with pytest.raises(ValueError, match="boundary='circular'"):
        jaxreg.solve(blur, methods.get("tv"), key=KEY, num_iters=2, criteria=("gsure",))


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------
def test_restore_tune_prints_the_curve_and_writes_the_chosen_image(tmp_path, capsys):
    from jaxreg import cli, io
    clean = crop(size=32)
    path = tmp_path / "noisy.png"
    io.imwrite(str(path), np.clip(noisy(clean, 0.1, 9), 0, 1))
    out = tmp_path / "out.png"
    code = cli.main(["restore", str(path), "-o", str(out), "--task", "denoise", "--sigma", "0.1", "--method", "tv",
                     "--tune", "lam=0.01:0.3:4", "--iters", "30", "--quiet"])
    text = capsys.readouterr().out
    assert code == 0 and out.exists()
    assert text.count("lam=") >= 5 and "<- chosen" in text and "sure" in text
    code = cli.main(["restore", str(path), "-o", str(out), "--task", "denoise", "--method", "tv",
                     "--tune", "lam=0.01,0.1", "--iters", "5", "--quiet"])
    assert code == 0 and "j-invariance" in capsys.readouterr().out  # no --sigma: J-invariance


@pytest.mark.parametrize("spec, message", [("lam=0.1:0.2", "a:b:n"), ("lam=0:1:4", "a, b > 0"),
                                           ("isotropic=1,0", "structural"), ("mu=1,2", "not a parameter"),
                                           ("lam=x,y", "comma-separated"), ("lam", "name=a:b:n")])
def test_restore_tune_rejects_bad_grids(tmp_path, capsys, spec, message):
    from jaxreg import cli, io
    path = tmp_path / "noisy.png"
    io.imwrite(str(path), crop(size=32))
    code = cli.main(["restore", str(path), "-o", str(tmp_path / "o.png"), "--task", "denoise", "--sigma", "0.1",
                     "--method", "tv", "--tune", spec, "--quiet"])
    assert code == 2 and message in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# hold-out for compressive sensing: the measurement mask and held-out measurements
# ------------------------------------------------------------------------------------------------
def _cs_problem(shape=(16, 16, 3), compression=2.0, mask=None, operator="hadamard"):
    x = jax.random.uniform(jax.random.key(11), shape)
    if operator == "hadamard":
        op = jaxreg.operators.SubsampledHadamard.from_compression(shape, compression)
    else:
        op = jaxreg.operators.RandomBinary(jax.random.key(12), shape, 100)
    return problems.CompressiveSensing(op(x), op, mask=mask), x


@pytest.mark.parametrize("operator", ["hadamard", "random-binary"])
@pytest.mark.parametrize("shared", [True, False])
def test_measurement_mask_model_adjoint_gradient_and_exact_hadamard_solve(operator, shared):
    import types
    from jaxreg.operators import check_adjoint, fwht
    full, x = _cs_problem(operator=operator)
    m_rows, c = full.y.shape
    keep = jax.random.uniform(jax.random.key(13), (m_rows,) if shared else (m_rows, c)) < 0.7
    p = problems.CompressiveSensing(full.y, full.op, mask=np.asarray(keep))
    assert p.mask.shape == ((m_rows, 1) if shared else (m_rows, c))
    m = jnp.broadcast_to(p.mask, p.y.shape)
    # forward m ⊙ A x and adjoint Aᵀ(m ⊙ r) are each other's adjoints
    model = types.SimpleNamespace(in_shape=p.image_shape, apply=p.forward, adjoint=p.adjoint)
    passed, err = check_adjoint(model, jax.random.key(14), rtol=1e-5)
    assert passed, f"relative adjoint error {err:.2e}"
    np.testing.assert_array_equal(p.forward(x), m * full.op.apply(x))
    # the data term ½‖m ⊙ (A x − y)‖² ignores the masked measurements; its gradient is Aᵀ m (A x − y)
    z = jax.random.uniform(jax.random.key(15), p.image_shape)
    junk = p.replace(y=jnp.where(m > 0, p.y, 1e3))
    np.testing.assert_allclose(junk.data_fidelity(z), p.data_fidelity(z), rtol=1e-6)
    np.testing.assert_allclose(p.data_grad(z), jax.grad(p.data_fidelity)(z), rtol=1e-4, atol=1e-5)
    # (μ I + ρ AᵀMA) x = b: the Hadamard-domain diagonal solve equals conjugate gradients with the mask
    b = jax.random.normal(jax.random.key(16), p.image_shape)
    mu, rho = 0.3, 2.0
    normal = normal_operator(p, mu=mu, rho=rho)
    cg = solve_normal(normal, b, method="cg", cg_iters=500, cg_tol=1e-7)
    np.testing.assert_allclose(normal.apply(cg), b, atol=1e-4)
    if operator == "hadamard":
        assert normal.structure == "hadamard"
        exact = solve_normal(normal, b)
        np.testing.assert_allclose(exact, cg, atol=1e-5)
        np.testing.assert_allclose(normal.apply(exact), b, atol=1e-5)
        # without a mask: the solve is bit-identical to the unmasked formula (SᵀS from sampled_fraction)
        h, w, _ = full.image_shape
        old = fwht(jnp.where((den := mu + rho * full.op.sampled_fraction()) > 0,
                             fwht(b.reshape(h * w, c)) / den, 0.0)).reshape(b.shape)
        np.testing.assert_array_equal(solve_normal(normal_operator(full, mu=mu, rho=rho), b), old)
        np.testing.assert_array_equal(full.forward(x), full.op.apply(x))
        np.testing.assert_array_equal(full.data_grad(z), full.op.adjoint(full.op.apply(z) - full.y))


def test_holdout_picks_the_oracle_lambda_for_a_single_pixel_camera():
    # TV on a 64×64 gray photo measured by 2048 sequency-ordered Walsh–Hadamard patterns (CF 2) with noise σ = 0.1;
    # the grid is half a decade apart and the oracle's neighbours are ≥ 1 dB worse (measured: 22.25, 23.31, 22.32 dB)
    clean = np.asarray(data.sample_image("astronaut", size=64)).mean(-1, keepdims=True)
    op = jaxreg.operators.SubsampledHadamard.from_compression(clean.shape, 2.0)
    y = np.asarray(op(jnp.asarray(clean))) + 0.1 * np.asarray(jax.random.normal(jax.random.key(1), op.out_shape))
    p = problems.CompressiveSensing(y.astype(np.float32), op)
    assert default_criterion(p) == "holdout"
    lams = [3e-3, 1e-2, 3e-2, 1e-1, 3e-1]
    t = jaxreg.tune(p, methods.get("tv", adaptive=True, tol=0.0), {"lam": lams}, key=KEY, num_iters=150,
                    criterion=selection.Holdout(folds=3), reference=clean)
    psnr = t.sweep.scores("psnr")
    oracle = int(np.argmax(psnr))
    assert t.criterion == "holdout" and 0 < oracle < len(lams) - 1  # an interior optimum
    assert t.index == oracle or (abs(t.index - oracle) == 1 and psnr[oracle] - psnr[t.index] < 0.3)
    assert t.sweep.history["holdout"].shape == (len(lams), 150)


def test_holdout_on_compressive_sensing_hides_whole_measurements_and_scores_their_prediction():
    p, x = _cs_problem(shape=(16, 16, 3), mask=np.arange(128) % 8 != 0)  # 112 of 128 measurements kept
    h = selection.Holdout(fraction=0.25, folds=2)
    h.check(p)
    folds, d = h.companions(p, KEY)
    kept = np.asarray(p.mask)[:, 0] > 0
    for k, fold in enumerate(folds):
        hidden = np.asarray(d["hidden"][k])[:, 0] > 0
        assert hidden.sum() == 28 and not np.any(hidden & ~kept)  # 25 % of the kept rows, none of the ignored
        assert fold.mask.shape == p.mask.shape and fold.y is p.y
        np.testing.assert_array_equal(np.asarray(fold.mask)[:, 0], kept & ~hidden)
    # the score: mean over folds of the squared prediction error A f_k − y on the hidden measurements
    outs = jnp.stack([x + 0.1 * k for k in range(1, 3)])
    want = np.mean([np.sum(np.asarray(d["hidden"][k]) * (np.asarray(p.y) - np.asarray(p.op(outs[k]))) ** 2)
                    / (3 * float(d["hidden"][k].sum())) for k in range(2)])
    np.testing.assert_allclose(float(h.score(p, x, outs, d)), want, rtol=1e-5)
    assert float(selection.Holdout(scope="missing").score(p, x, outs[:1], {"hidden": d["hidden"][:1]})) > 0
    # network methods stop by it: the plan steps the folds one after the other beside the base run
    plan = selection.make_plan(p, methods.get("dip", stopping="holdout", patience=5))
    group, _ = plan.build(p, KEY)
    assert plan.select == "holdout" and plan.group_mode == "map" and group.mask.shape == (2,) + p.mask.shape


def test_bad_measurement_masks_and_holdout_settings_are_rejected_before_compiling(monkeypatch):
    full, _ = _cs_problem()
    y, op = np.asarray(full.y), full.op

    def no_compile(*a, **k):
        raise AssertionError("compiled before validating")
    monkeypatch.setattr(jax, "jit", no_compile)
    for mask, match in [(np.ones(127), "mask shape .* does not match"), (np.ones((128, 2)), "does not match"),
                        (np.full(128, 0.5), "only 0 and 1"), (np.where(np.arange(128) > 2, 1.0, np.nan), "non-finite"),
                        (np.zeros(128), "keeps no measurement"), (np.full(128, "1"), "boolean or real")]:
        with pytest.raises(ValueError, match=match):
            problems.CompressiveSensing(y, op, mask=mask)
    p = problems.CompressiveSensing(y, op, mask=np.arange(128) < 5)
    with pytest.raises(ValueError, match="scope='image' applies to Inpaint"):
        selection.Holdout(scope="image").check(p)
    with pytest.raises(ValueError, match="of 5 measurements leaves none to hide"):
        selection.Holdout().check(p)
    with pytest.raises(ValueError, match="Inpaint problem .* or a CompressiveSensing"):
        selection.Holdout().check(problems.Denoise(crop(size=16)))
