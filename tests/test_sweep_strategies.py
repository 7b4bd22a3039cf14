"""Execution strategies of jaxreg.sweep: "vmap", "map" (optionally batched) and "auto" give the loop's images; the
rule behind "auto"; no grouped convolution in a network sweep under "auto" on CPU; metrics every k iterations."""

import numpy as np
import pytest
import jax

import jaxreg
from jaxreg import _driver, data, methods, problems
from jaxreg.nets import Skip
from jaxreg.sweep import choose_strategy

KEY = jax.random.key(0)


@pytest.fixture(scope="module")
def tv_case():
    x = data.sample_image("astronaut", size=24)
    y = data.add_gaussian_noise(jax.random.key(1), x, 0.1)
    # tol makes the points stop at different iterations: "map" must keep each point's own stop
    return problems.Denoise(y, sigma=0.1), x, methods.get("tv", tol=1e-3), {"lam": [0.02, 0.05, 0.1, 0.3, 1.0]}


def _eps_scale(images):
    # float32 results of the same arithmetic in another program may differ in the last bits: a few ulps of the data
    return 16 * np.finfo(np.float32).eps * max(1.0, float(np.max(np.abs(images))))


@pytest.mark.parametrize("strategy, batch_size", [("vmap", None), ("map", None), ("map", 2), ("auto", None)])
@pytest.mark.parametrize("criteria, chunk_size", [((), 100), (("sure", "j-invariance"), 16)])
def test_every_strategy_equals_the_loop_of_solves(tv_case, strategy, batch_size, criteria, chunk_size):
    # chunks of 16 iterations: runs stop inside a chunk and later chunks start with stopped points (under "map" a
    # chunk is a while-loop that ends with its point; under "vmap" a scan of no-op iterations)
    p, x, m, grid = tv_case
    s = jaxreg.sweep(p, m, grid, key=KEY, num_iters=80, reference=x, strategy=strategy, batch_size=batch_size,
                     criteria=criteria, chunk_size=chunk_size)
    assert s.timings["strategy"] == ("map" if strategy == "auto" else strategy)  # auto on CPU: see the rule
    iters = []
    for i, lam in enumerate(grid["lam"]):
        r = jaxreg.solve(p, m.replace(lam=lam), key=KEY, num_iters=80, reference=x, criteria=criteria,
                         chunk_size=chunk_size)
        np.testing.assert_allclose(s.images[i], r.image, rtol=0, atol=_eps_scale(r.image))
        assert int(s.num_iters[i]) == r.num_iters and int(s.status[i]) == int(r.status)
        np.testing.assert_allclose(s.history["psnr"][i, :r.num_iters], r.history["psnr"], atol=1e-3)
        assert np.all(np.isnan(s.history["psnr"][i, r.num_iters:]))  # nothing recorded past a point's stop
        for name in criteria:  # per-pixel MSE estimates: a few ulps of the data's squared scale
            np.testing.assert_allclose(s.history[name][i, :r.num_iters], r.history[name], rtol=1e-4, atol=1e-6)
        iters.append(r.num_iters)
    assert len(set(iters)) > 1, "the case must make the points stop at different iterations"
    if chunk_size < 80:
        assert min(iters) < 80 - chunk_size, "some point must stop before the last chunk"


def test_auto_rule_is_recorded_and_follows_the_backend():
    dip = methods.get("dip")
    assert choose_strategy(dip, None, 12, backend="cpu")[0] == "map"
    assert choose_strategy(methods.get("tv"), None, 12, backend="cpu")[0] == "map"
    assert choose_strategy(dip, None, 12, backend="gpu")[0] == "vmap"
    assert choose_strategy(methods.get("tv"), None, 12, backend="tpu")[0] == "vmap"
    assert "grouped convolutions" in choose_strategy(dip, None, 12, backend="cpu")[1]


class _Lowered(Exception):
    pass


def _chunk_program_text(problem, method, grid, strategy, monkeypatch):
    """The lowered text of the sweep's chunk program, captured at the driver's compile call (nothing is compiled:
    the initial carry is only shapes)."""
    timings = {}

    def spy(fn, args):
        if "init" not in timings:
            timings["init"] = True
            return (lambda *a: jax.eval_shape(fn, *a)), 0.0
        raise _Lowered(jax.jit(fn).lower(*args).as_text())

    def strategy_spy(*a, **k):
        timings["strategy"] = k.get("strategy")
        return real_run(*a, **k)

    real_run = _driver.run
    monkeypatch.setattr(_driver, "compiled", spy)
    monkeypatch.setattr(_driver, "run", strategy_spy)
    with pytest.raises(_Lowered) as info:
        jaxreg.sweep(problem, method, grid, key=KEY, num_iters=1, strategy=strategy)
    monkeypatch.undo()
    return str(info.value), timings["strategy"]


def test_network_sweep_under_auto_has_no_grouped_convolution_on_cpu(monkeypatch):
    if jax.default_backend() != "cpu":
        pytest.skip("the rule keeps vmap on accelerators")
    x = data.sample_image("astronaut", size=36)
    p = problems.Denoise(data.add_gaussian_noise(jax.random.key(1), x, 0.1))
    m = methods.get("dip", net=Skip.uniform(2, 8, 8, 2, out_channels=3), input_depth=4, stopping="none")
    grid = {"lr": [0.01, 0.02, 0.03]}
    text, chosen = _chunk_program_text(p, m, grid, "auto", monkeypatch)
    assert chosen == "map"
    assert "convolution" in text
    assert "feature_group_count = 3" not in text and "batch_group_count = 3" not in text
    # the check can fail: under vmap the per-point weights do make grouped convolutions
    text_vmap, _ = _chunk_program_text(p, m, grid, "vmap", monkeypatch)
    assert "feature_group_count = 3" in text_vmap


def test_metrics_every_k_keeps_images_and_final_scores(tv_case):
    p, x, m, grid = tv_case
    m = m.replace(tol=0.0)
    every = jaxreg.sweep(p, m, grid, key=KEY, num_iters=30, reference=x, metrics_every=4, chunk_size=10)
    full = jaxreg.sweep(p, m, grid, key=KEY, num_iters=30, reference=x)
    np.testing.assert_array_equal(np.asarray(every.images), np.asarray(full.images))
    h, hf = every.history["psnr"], full.history["psnr"]
    assert h.shape == hf.shape == (5, 30)
    recorded = ~np.isnan(h[0])
    # after iterations 4, 8, 12 (chunks are rounded up to whole blocks of k: 12), …, and always the last one
    assert recorded[[3, 7, 11, 15, 29]].all() and not recorded[[0, 1, 2, 4, 28]].any()
    np.testing.assert_allclose(h[:, recorded], hf[:, recorded], atol=1e-3)
    np.testing.assert_allclose(every.scores("psnr"), full.scores("psnr"), atol=1e-3)
    assert "objective" not in every.history or not np.isnan(every.history["objective"]).any()


@pytest.mark.parametrize("kwargs, message", [
    (dict(strategy="pmap"), "strategy must be one of"),
    (dict(strategy="map", batch_size=0), "batch_size must be a positive integer"),
    (dict(strategy="map", batch_size=2.5), "batch_size must be a positive integer"),
    (dict(strategy="vmap", batch_size=2), "batch_size applies to strategy='map'"),
    (dict(metrics_every=0), "metrics_every must be a positive integer"),
    (dict(metrics_every=True), "metrics_every must be a positive integer"),
])
def test_bad_strategy_arguments_fail_before_compiling(tv_case, kwargs, message, monkeypatch):
    p, x, m, grid = tv_case
    monkeypatch.setattr(_driver, "compiled", lambda *a: pytest.fail("compiled before the check"))
    with pytest.raises(ValueError, match=message):
        jaxreg.sweep(p, m, grid, key=KEY, num_iters=2, **kwargs)
