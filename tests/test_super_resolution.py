"""Super-resolution: the decimation operator, the exact polyphase solve, the methods on it, the CLI, errors."""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp
import pytest

import jaxreg
from jaxreg import data, metrics, methods, operators as ops, problems
from jaxreg.cli import main
from jaxreg.methods import dip, drp
from jaxreg.operators import solve_normal
from jaxreg.operators.resample import KERNELS, resampling_kernel
from jaxreg.problems import normal_operator

ALL_KERNELS = list(KERNELS) + ["array"]


def _kernel(name):
    if name != "array":
        return name
    k = np.arange(1.0, 16.0).reshape(5, 3)  # asymmetric, odd-by-odd: kh − f odd for f = 2
    return k / k.sum()


# ------------------------------------------------------------------ operator
@pytest.mark.parametrize("boundary", ["replicate", "circular"])
@pytest.mark.parametrize("kernel, factor", [("lanczos2", 4), ("bicubic", 3), ("box", 2), ("array", 2), ("array", 3)])
def test_adjoint_every_kernel(kernel, factor, boundary):
    op = ops.Decimation(_kernel(kernel), factor, (factor * 6, factor * 5, 2), boundary=boundary)
    assert op.out_shape == (6, 5, 2)
    passed, err = ops.check_adjoint(op, jax.random.key(factor), rtol=1e-5)
    assert passed, f"relative adjoint error {err:.2e}"


@pytest.mark.parametrize("factor", [2, 3, 4, 8])
def test_lanczos2_is_the_dip_downsampler_kernel(factor):
    """Separable sinc(u)·sinc(u/2) sampled at HR pixel centres around the LR centre: for even f the DIP code's
    4f×4f kernel with phase 1/2, whose taps are at |i + 1/2 − (2f + 1)| / f, i = 1..4f."""
    k = resampling_kernel("lanczos2", factor)
    n = 4 * factor - factor % 2
    assert k.shape == (n, n)
    np.testing.assert_allclose(k.sum(), 1.0, rtol=1e-12)
    if factor % 2 == 0:
        d = np.abs(np.arange(1, n + 1) + 0.5 - (2 * factor + 1)) / factor
        taps = 2 * np.sin(np.pi * d) * np.sin(np.pi * d / 2) / (np.pi ** 2 * d ** 2)
        ref = np.outer(taps, taps)
        np.testing.assert_allclose(k, ref / ref.sum(), rtol=1e-10, atol=1e-15)


def test_box_kernel_is_the_block_mean_and_every_kernel_keeps_constants():
    x = jax.random.uniform(jax.random.key(0), (12, 8, 3))
    box = data.downsample(x, 4, "box")
    np.testing.assert_allclose(box, x.reshape(3, 4, 2, 4, 3).mean(axis=(1, 3)), rtol=1e-5)
    flat = jnp.full((16, 16, 2), 0.3)
    for kernel in KERNELS:
        for boundary in ("replicate", "circular"):
            np.testing.assert_allclose(data.downsample(flat, 4, kernel, boundary=boundary), 0.3, rtol=1e-5)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_replicate_and_circular_agree_away_from_the_border(kernel):
    x = jax.random.uniform(jax.random.key(1), (48, 48, 1))
    a = data.downsample(x, 2, _kernel(kernel), boundary="replicate")
    b = data.downsample(x, 2, _kernel(kernel), boundary="circular")
    np.testing.assert_allclose(a[5:-5, 5:-5], b[5:-5, 5:-5], atol=1e-5)
    if kernel != "box":  # the box kernel never reads outside the image; the others differ at the edge
        assert not np.allclose(a[0], b[0], atol=1e-3)
    else:
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_downsample_is_the_problem_forward_model():
    x = data.sample_image("astronaut", size=48)
    y = data.downsample(x, 4, "bicubic")
    p = problems.SuperResolution(y, 4, "bicubic")
    assert p.image_shape == (48, 48, 3)
    np.testing.assert_array_equal(np.asarray(p.forward(x)), np.asarray(y))


# ------------------------------------------------------------------ exact solve
@pytest.mark.parametrize("kernel", ALL_KERNELS)
@pytest.mark.parametrize("factor", [2, 3])
def test_polyphase_solve_equals_a_dense_solve_in_x64(kernel, factor):
    """(μ I + ρ AᵀA + Σ w DᵀD) x = b by the polyphase FFT solution against numpy's dense solve, including
    μ = 0 (singular Φ at DC, handled exactly) and a difference along the channels."""
    with jax.enable_x64(True):
        y = jax.random.uniform(jax.random.key(0), (4, 4, 2), jnp.float64)  # the HR side must hold the kernel
        shape = (4 * factor, 4 * factor, 2)
        p = problems.SuperResolution(y, factor, _kernel(kernel), boundary="circular")
        n = int(np.prod(shape))
        b = jax.random.normal(jax.random.key(1), shape, jnp.float64)
        for mu, rho, dw in [(0.3, 1.7, {}), (0.0, 1.0, {0: 0.5, 1: 0.2}), (0.1, 2.0, {0: 0.5, 2: 0.3})]:
            m = normal_operator(p, mu=mu, rho=rho, diff_weights=dw)
            assert m.structure == "polyphase"
            columns = jax.jit(jax.vmap(lambda e: m.apply(e.reshape(shape)).ravel()))
            dense = np.linalg.solve(np.asarray(columns(jnp.eye(n))).T, np.asarray(b).ravel())
            fast = np.asarray(solve_normal(m, b)).ravel()
            np.testing.assert_allclose(fast, dense, rtol=1e-9, atol=1e-9 * np.abs(dense).max())


def test_replicate_boundary_solves_by_cg():
    x = data.sample_image("astronaut", size=32)
    p = problems.SuperResolution(data.downsample(x, 2), 2)
    assert normal_operator(p, diff_weights={0: 1.0}, circular=False).structure == "cg"
    b = p.adjoint(p.y)
    m = normal_operator(p, mu=0.05, diff_weights={0: 0.1, 1: 0.1}, circular=False)
    sol = solve_normal(m, b, cg_iters=300, cg_tol=1e-7)
    res = m.apply(sol) - b
    assert float(jnp.linalg.norm(res) / jnp.linalg.norm(b)) < 1e-4


# ------------------------------------------------------------------ errors before compiling
Y = np.full((8, 8, 3), 0.5, np.float32)


@pytest.mark.parametrize("make, match", [
    (lambda: problems.SuperResolution(Y, 1), "factor must be an integer >= 2"),
    (lambda: problems.SuperResolution(Y, 0), "factor must be an integer >= 2"),
    (lambda: problems.SuperResolution(Y, 2.5), "not an integer"),
    (lambda: problems.SuperResolution(Y, "4"), "factor must be an integer"),
    (lambda: problems.SuperResolution(Y, True), "factor must be an integer"),
    (lambda: problems.SuperResolution(Y[:2, :2], 4), "does not fit the 8x8 high-resolution image"),
    (lambda: problems.SuperResolution(Y, 2, np.ones(4) / 4), "must be 2-D"),
    (lambda: problems.SuperResolution(Y, 2, np.ones((3, 3, 1)) / 9), "must be 2-D"),
    (lambda: problems.SuperResolution(Y, 2, np.ones((3, 3))), "must sum to 1"),
    (lambda: problems.SuperResolution(Y, 2, np.full((3, 3), np.nan)), "non-finite"),
    (lambda: problems.SuperResolution(Y, 2, "gauss"), "kernel must be one of"),
    (lambda: problems.SuperResolution(Y, 2, boundary="wrap"), "boundary must be one of"),
    (lambda: problems.SuperResolution(Y, 2, sigma=-0.1), "non-negative"),
    (lambda: data.downsample(np.zeros((10, 12, 3), np.float32), 4), "not a multiple of the factor 4"),
    (lambda: data.upsample(Y, 2, method="spline"), "method must be one of"),
    (lambda: methods.get("bicubic").validate(problems.Denoise(Y)), "does not support Denoise"),
])
def test_bad_input_is_a_clear_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ------------------------------------------------------------------ methods
@pytest.fixture(scope="module")
def sr48():
    x = data.sample_image("astronaut", size=48)
    return x, problems.SuperResolution(data.downsample(x, 4), 4)


def test_bicubic_method_is_the_interpolation(sr48):
    x, p = sr48
    r = jaxreg.solve(p, methods.get("bicubic"), key=jax.random.key(0), num_iters=5)
    np.testing.assert_allclose(r.image, data.upsample(p.y, 4), atol=1e-6)
    assert r.num_iters == 1 and r.image.shape == (48, 48, 3)
    np.testing.assert_allclose(p.initial_image(), r.image, atol=1e-6)


@pytest.mark.parametrize("name, params, iters", [
    ("tikhonov", {"lam": 1e-3}, 30), ("tv", {"lam": 1e-3}, 60),
    ("pnp-admm", {"lam": 1e-3, "rho": 0.1}, 20)])
def test_classical_methods_fit_the_observation_better_than_bicubic(sr48, name, params, iters):
    x, p = sr48
    r = jaxreg.solve(p, methods.get(name, **params), key=jax.random.key(0), num_iters=iters)
    assert r.image.shape == (48, 48, 3) and bool(jnp.all(jnp.isfinite(r.image)))
    bic = p.initial_image()
    assert float(jnp.linalg.norm(p.residual(r.image))) < 0.5 * float(jnp.linalg.norm(p.residual(bic)))
    assert float(metrics.psnr(r.image, x, data_range=1.0)) > float(metrics.psnr(bic, x, data_range=1.0)) - 1.0


def test_tv_with_the_exact_circular_solve_matches_cg(sr48):
    """TV-ADMM's x-update uses the polyphase solve with a circular SR model; it must agree with the CG path."""
    x, _ = sr48
    pc = problems.SuperResolution(data.downsample(x, 4, boundary="circular"), 4, boundary="circular")
    exact = jaxreg.solve(pc, methods.get("tv", lam=1e-3), key=jax.random.key(0), num_iters=40)
    cg = jaxreg.solve(pc, methods.get("tv", lam=1e-3, cg_iters=200), key=jax.random.key(0), num_iters=40)
    assert normal_operator(pc, diff_weights={0: 1.0, 1: 1.0}).is_exact
    np.testing.assert_allclose(exact.image, cg.image, atol=2e-3)


@pytest.mark.slow  # 23 s on a cold cache
def test_drp_sr_preset_runs_and_lowers_its_loss(sr48):
    x, p = sr48
    m = drp.preset("sr")
    assert (m.net_preset, m.lr, m.tv_weight, m.input_depth) == ("sr", 0.5, 0.75, 1)
    r = jaxreg.solve(p, m, key=jax.random.key(0), num_iters=30)
    loss = np.asarray(r.history["loss"])
    assert r.image.shape == (48, 48, 3) and np.all(np.isfinite(loss))
    assert loss[-5:].mean() < 0.7 * loss[:3].mean()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dip", "dip-tv", "dip-l0"])
def test_network_methods_run_on_super_resolution(sr48, name):
    x, p = sr48
    m = dip.preset("sr", method=name) if name != "dip-l0" else methods.get("dip-l0")
    iters = 3 if name == "dip-l0" else 40
    r = jaxreg.solve(p, m, key=jax.random.key(0), num_iters=iters)
    assert r.image.shape == (48, 48, 3) and bool(jnp.all(jnp.isfinite(r.image)))
    if name != "dip-l0":
        assert (m.lr, m.reg_noise_std, m.ema, m.stopping) == (0.01, 0.03, 0.0, "none")
        loss = np.asarray(r.history["loss"])
        assert loss[-5:].mean() < 0.7 * loss[:3].mean()


# ------------------------------------------------------------------ metric
def test_psnr_y_is_the_luma_psnr_with_a_border_crop():
    a = jax.random.uniform(jax.random.key(0), (20, 20, 3))
    b = jnp.clip(a + 0.05 * jax.random.normal(jax.random.key(1), a.shape), 0, 1)
    w = np.asarray([65.481, 128.553, 24.966]) / 255.0
    ya, yb = (np.asarray(v, np.float64) @ w + 16 / 255 for v in (a, b))
    ref = 10 * np.log10(1.0 / np.mean((ya[3:-3, 3:-3] - yb[3:-3, 3:-3]) ** 2))
    np.testing.assert_allclose(float(metrics.psnr_y(b, a, data_range=1.0, border=3)), ref, rtol=1e-4)
    with pytest.raises(ValueError, match="border"):
        metrics.psnr_y(b, a, data_range=1.0, border=10)


# ------------------------------------------------------------------ CLI
def test_cli_super_resolves_a_file(tmp_path):
    from PIL import Image
    from jaxreg import io
    lr = tmp_path / "lr.png"
    io.imwrite(lr, data.downsample(data.sample_image("astronaut", size=48), 4, clip=True))
    out = tmp_path / "hr.png"
    assert main(["restore", str(lr), "-o", str(out), "--task", "sr", "--factor", "4", "--method", "tv",
                 "--iters", "10", "--quiet"]) == 0
    assert Image.open(out).size == (48, 48)
    assert main(["restore", str(lr), "-o", str(out), "--task", "sr", "--method", "tv", "--quiet"]) == 2
    assert main(["restore", str(lr), "-o", str(out), "--task", "denoise", "--factor", "4", "--method", "tv"]) == 2
