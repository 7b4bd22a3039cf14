"""jaxreg.solve: closed-form minimisers, status codes, history, timings, caching, errors."""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

import jaxreg
import jaxreg.data
from jaxreg import Status, methods, problems
from jaxreg.operators import solve_normal
from jaxreg.problems import normal_operator
from helpers import Blowup, Relax, TRACES

KEY = jax.random.key(0)


@pytest.fixture(scope="module")
def photo():
    """A real photo (scikit-image's astronaut, a test dependency) at 32×32×3."""
    return np.asarray(jaxreg.data.sample_image("astronaut", size=32))


@pytest.fixture(scope="module")
def noisy(photo):
    y = photo + 0.1 * np.asarray(jax.random.normal(jax.random.key(1), photo.shape))
    return y.astype(np.float32)


@pytest.mark.parametrize("kind", ["denoise", "deblur"])
def test_tikhonov_reaches_closed_form_minimiser(kind, noisy, photo):
    lam = 0.5
    if kind == "denoise":
        p = problems.Denoise(noisy)
    else:
        p = problems.Deblur(noisy, jnp.ones((3, 3)) / 9.0)
    r = jaxreg.solve(p, methods.get("tikhonov", lam=lam, tol=1e-6), key=KEY, num_iters=300, reference=photo)
    closed = solve_normal(normal_operator(p, diff_weights={0: lam, 1: lam}), p.adjoint(p.y))
    assert r.status == Status.CONVERGED
    assert r.num_iters < 300
    np.testing.assert_allclose(r.image, closed, atol=2e-4)
    # history: one entry per iteration, objective non-increasing (CG minimises it monotonically)
    h = r.history
    assert set(h) >= {"objective", "psnr", "ssim", "residual"}
    assert all(len(v) == r.num_iters for v in h.values())
    assert np.all(np.diff(h["objective"]) <= 1e-3 * abs(h["objective"][0]))
    assert h["psnr"][-1] == pytest.approx(float(jaxreg.metrics.psnr(r.image, photo, data_range=1.0)), abs=1e-4)


def test_tikhonov_inpainting_matches_conjugate_gradient_solution(photo):
    mask = np.asarray(jax.random.uniform(jax.random.key(3), (32, 32, 1)) > 0.5, np.float32)
    p = problems.Inpaint(photo * mask, mask)
    r = jaxreg.solve(p, methods.get("tikhonov", lam=0.05, tol=1e-7), key=KEY, num_iters=500)
    ref = solve_normal(normal_operator(p, diff_weights={0: 0.05, 1: 0.05}), p.adjoint(p.y), cg_iters=2000, cg_tol=1e-7)
    np.testing.assert_allclose(r.image, ref, atol=1e-3)


def test_nonfinite_step_stops_with_last_finite_iterate(noisy):
    p = problems.Denoise(noisy)
    r = jaxreg.solve(p, Blowup(factor=1.5, bad_at=5), key=KEY, num_iters=20, chunk_size=3)
    assert r.status == Status.NONFINITE
    assert r.num_iters == 4
    assert np.all(np.isfinite(r.image))
    np.testing.assert_allclose(r.image, noisy * 1.5 ** 4, rtol=1e-5)


def test_max_iters_status_and_relative_change_tolerance(noisy):
    p = problems.Denoise(noisy)
    r = jaxreg.solve(p, Relax(lr=0.5), key=KEY, num_iters=7, chunk_size=3)
    assert r.status == Status.MAX_ITERS and r.num_iters == 7
    assert len(r.history["objective"]) == 7
    np.testing.assert_allclose(r.image, noisy * (1 - 0.5 ** 7), rtol=1e-5)
    # ‖x_k − x_{k−1}‖/‖x_k‖ = 0.5^k / (1 − 0.5^k) ≤ 1e-3 first at k = 10
    r = jaxreg.solve(p, Relax(lr=0.5), key=KEY, num_iters=100, tol=1e-3, chunk_size=4)
    assert r.status == Status.CONVERGED and r.num_iters == 10


def test_compiled_once_across_hyperparameter_values_and_timings_reported(noisy):
    p = problems.Denoise(noisy)
    TRACES["step"] = 0
    r1 = jaxreg.solve(p, Relax(lr=0.3), key=KEY, num_iters=5, chunk_size=5)
    r2 = jaxreg.solve(p, Relax(lr=0.7), key=KEY, num_iters=5, chunk_size=5)
    assert TRACES["step"] == 1
    assert r2.timings["compile_s"] == 0.0 and r1.timings["compile_s"] >= 0.0
    assert r1.timings["run_s"] > 0 and r2.timings["run_s"] > 0
    assert not np.allclose(r1.image, r2.image)


def test_progress_bar_runs(noisy, capsys):
    p = problems.Denoise(noisy)
    r = jaxreg.solve(p, Relax(), key=KEY, num_iters=6, chunk_size=2, progress=True)
    assert r.num_iters == 6


@pytest.mark.parametrize("kwargs,match", [
    ({"num_iters": 0}, "num_iters must be at least 1"),
    ({"num_iters": 2.5}, "num_iters must be an integer"),
    ({"key": 0}, "PRNG key"),
    ({"reference": np.zeros((8, 8, 3), np.float32)}, "reference shape"),
    ({"reference": np.full((32, 32, 3), np.nan, np.float32)}, "non-finite"),
    ({"tol": -1.0}, "tol must be non-negative"),
    ({"chunk_size": 0}, "chunk_size"),
])
def test_solve_argument_errors(noisy, kwargs, match):
    args = {"key": KEY, "num_iters": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        jaxreg.solve(problems.Denoise(noisy), Relax(), **args)


def test_method_errors(noisy):
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        methods.get("nope")
    with pytest.raises(ValueError, match="has no parameter.*'lamda'"):
        methods.get("tikhonov", lamda=0.1)
    with pytest.raises(ValueError, match="lam must be non-negative"):
        jaxreg.solve(problems.Denoise(noisy), methods.get("tikhonov", lam=-1.0), key=KEY, num_iters=2)
    with pytest.raises(ValueError, match="must be a jaxreg method"):
        jaxreg.solve(problems.Denoise(noisy), "tikhonov", key=KEY, num_iters=2)


def test_solve_rejects_a_list_of_problems(noisy):
    with pytest.raises(ValueError, match="use jaxreg.sweep"):
        jaxreg.solve([problems.Denoise(noisy)], Relax(), key=KEY, num_iters=2)


def test_image_smaller_than_the_ssim_window_records_psnr_only():
    y = np.full((6, 6, 1), 0.5, np.float32)
    r = jaxreg.solve(problems.Denoise(y), Relax(), key=KEY, num_iters=3, reference=y * 0.9)
    assert set(r.history) == {"objective", "psnr"}


def test_singular_fft_solve_is_finite_and_float32_stays_float32_under_x64(photo):
    kernel = np.ones((1, 2), np.float32) / 2.0  # spectral zero at the Nyquist column
    p = problems.Deblur(jaxreg.data.blur(photo, kernel), kernel)
    x = solve_normal(normal_operator(p), p.adjoint(p.y))  # (AᵀA)⁺Aᵀy
    assert np.all(np.isfinite(x))
    np.testing.assert_allclose(p.forward(x), p.y, atol=1e-3)  # consistent system: exact fit
    with jax.enable_x64(True):
        mask = np.ones((32, 32), np.float32)
        mask[::3] = 0
        q = problems.Inpaint(photo, mask)
        assert q.forward(jnp.asarray(photo)).dtype == jnp.float32
        assert solve_normal(normal_operator(q, mu=0.1), jnp.asarray(photo)).dtype == jnp.float32
