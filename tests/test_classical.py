"""Classical solvers: TV by ADMM, Wiener deconvolution, ℓ0 smoothing (Xu et al.), plug-and-play ADMM.

Every reference here is independent of the code under test: a long float64 run for TV convergence,
SciPy minimisers for the proximal steps, a NumPy transcription of the authors' ``L0Smoothing.m``,
``skimage.restoration.wiener`` for Wiener, and the plain back-projection for the single-pixel camera.
"""

from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
import jax
import jax.numpy as jnp
from PIL import Image

import jaxreg
import jaxreg.data
from jaxreg import Status, methods, operators, problems
from jaxreg.regularizers import group_soft_threshold, l0_smooth, num_l0_iterations, soft_threshold, tv_norm

KEY = jax.random.key(0)
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def psnr(x, ref):
    """PSNR in dB for images in [0, 1] (plain NumPy, float64)."""
    mse = np.mean((np.asarray(x, np.float64) - np.asarray(ref, np.float64)) ** 2)
    return 10.0 * np.log10(1.0 / mse)


# jitted forward/adjoint: eager op-by-op dispatch of the fast Walsh–Hadamard transform compiles each of its
# ~60 small ops separately, seconds per new shape on a 2-core CPU
_apply = jax.jit(lambda op, x: op.apply(x))
_adjoint = jax.jit(lambda op, y: op.adjoint(y))
_objective = jax.jit(lambda method, x, problem: method.objective(x, problem))


def gaussian_noise(shape, sigma, seed):
    return np.random.default_rng(seed).normal(0.0, sigma, shape)


@pytest.fixture(scope="module")
def photo():
    """A real photo (scikit-image's astronaut) at 32×32×3, float32."""
    return np.asarray(jaxreg.data.sample_image("astronaut", size=32))


@pytest.fixture(scope="module")
def gray():
    """A real gray photo (scikit-image's camera man) at 32×32×1, float32."""
    return np.asarray(jaxreg.data.sample_image("camera", size=32))


@pytest.fixture(scope="module")
def noisy(photo):
    """The photo with Gaussian noise σ = 0.1 (float64; cast as needed)."""
    return photo.astype(np.float64) + gaussian_noise(photo.shape, 0.1, 1)


# ================================================================================================
# 1. TV-ADMM converges to a long float64 reference run
# ================================================================================================
@pytest.mark.parametrize("isotropic", [True, False], ids=["isotropic", "anisotropic"])
def test_tv_admm_reaches_the_objective_of_a_long_x64_run(noisy, isotropic):
    lam = 0.08
    with jax.enable_x64(True):
        p64 = problems.Denoise(noisy.astype(np.float64))
        m = methods.get("tv", lam=lam, isotropic=isotropic, algorithm="admm", tol=0.0)
        ref = jaxreg.solve(p64, m, key=KEY, num_iters=5000, chunk_size=500)
        assert ref.image.dtype == jnp.float64 and ref.num_iters == 5000
        f_star = float(_objective(m, ref.image, p64))
        h = ref.history["objective"]
        # the reference has settled far below the tolerance tested: its objective moved by less than
        # 1e-7 (relative) over its last 1000 iterations (measured 2.2e-9 isotropic, 3e-16 anisotropic)
        assert abs(h[-1] - h[-1000]) <= 1e-7 * f_star

    # the default float32 method, 300 iterations; its objective evaluated in float64 (an honest f(x))
    r = jaxreg.solve(problems.Denoise(noisy.astype(np.float32)), m, key=KEY, num_iters=300)
    assert r.image.dtype == jnp.float32
    with jax.enable_x64(True):
        f = float(_objective(m, jnp.asarray(np.asarray(r.image), jnp.float64), p64))
    gap = (f - f_star) / f_star
    # measured: 7.0e-7 (isotropic), 2.0e-7 (anisotropic) after 300 iterations
    assert -1e-8 <= gap <= 1e-4, gap


# ================================================================================================
# 2. TV proximal steps against brute-force minimisation
# ================================================================================================
def _bruteforce_group_prox(v, t, grouped):
    """argmin_z ½‖z − v‖² + t Σ_g ‖z_g‖₂ by Nelder–Mead, one group at a time (the objective is separable).

    Groups are the vectors along axis 0 (``grouped``) or single entries.  Float64, tight tolerances,
    restarted twice (Nelder–Mead's simplex can collapse early on a kink).
    """
    cols = v.reshape(v.shape[0] if grouped else 1, -1)
    out = np.empty_like(cols)
    for j in range(cols.shape[1]):
        vj = cols[:, j]

        def f(z):
            return 0.5 * np.sum((z - vj) ** 2) + t * np.sqrt(np.sum(z * z))

        z = vj.copy()
        for _ in range(3):
            z = scipy.optimize.minimize(f, z, method="Nelder-Mead",
                                        options=dict(xatol=1e-12, fatol=1e-16, maxiter=20000)).x
        out[:, j] = z
    return out.reshape(v.shape)


@pytest.mark.parametrize("shape", [(2, 3, 3, 1), (3, 2, 3, 2)], ids=["2-D", "3-D"])
@pytest.mark.parametrize("seed", [0, 1])
def test_shrinkage_steps_equal_brute_force_minimisers(shape, seed):
    t = 0.5
    v = np.random.default_rng(seed).normal(0.0, 0.5, shape)
    # isotropic: group soft thresholding of the gradient vectors (axis 0)
    zero_groups = np.sum(np.linalg.norm(v, axis=0) < t)
    assert 0 < zero_groups < v[0].size  # both branches (shrunk to 0 / shortened) are exercised
    expected = _bruteforce_group_prox(v, t, grouped=True)
    got = np.asarray(group_soft_threshold(jnp.asarray(v, jnp.float32), t))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)  # measured ≤ 7e-8
    # anisotropic: elementwise soft thresholding
    expected = _bruteforce_group_prox(v, t, grouped=False)
    got = np.asarray(soft_threshold(jnp.asarray(v, jnp.float32), t))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def _grad_np(x):
    """Circular forward differences along H and W, stacked: (2, H, W, C)."""
    return np.stack([np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x])


def _grad_adjoint_np(g):
    return (np.roll(g[0], 1, 0) - g[0]) + (np.roll(g[1], 1, 1) - g[1])


def _tv_np(x, isotropic):
    g = _grad_np(x)
    return float(np.sum(np.sqrt(np.sum(g * g, axis=0)))) if isotropic else float(np.sum(np.abs(g)))


@pytest.mark.parametrize("isotropic", [True, False], ids=["isotropic", "anisotropic"])
def test_tv_prox_on_a_tiny_image_matches_scipy_with_a_duality_gap_certificate(isotropic):
    """``solve(Denoise(v), tv)`` is prox_{lam·TV}(v): checked against SciPy on a 4×4×1 image.

    The primal ½‖x − v‖² + lam·TV(x) is non-smooth exactly where TV solutions live (flat pixels),
    so SciPy minimises its smooth dual instead: min_p ½‖v − Dᵀp‖² s.t. ‖p_i‖₂ ≤ lam (isotropic;
    |p_i| ≤ lam anisotropic), x* = v − Dᵀp*.  For any feasible p, D(p) = ½‖v‖² − ½‖v − Dᵀp‖² is a
    lower bound of the primal optimum, so P(x_jaxreg) − D(p_scipy) bounds jaxreg's sub-optimality, and
    ½‖x − x*‖² ≤ P(x) − P* (the primal is 1-strongly convex) bounds its distance to the minimiser.
    """
    lam = 0.15
    clean = np.asarray(jaxreg.data.sample_image("camera", size=4), np.float64)
    v = clean + 0.1 * np.random.default_rng(3).normal(size=clean.shape)
    # the NumPy TV is the library's definition (circular differences; isotropic per pixel and channel)
    probe = np.random.default_rng(4).random((5, 6, 2))
    assert _tv_np(probe, isotropic) == pytest.approx(
        float(tv_norm(jnp.asarray(probe, jnp.float32), isotropic=isotropic)), rel=1e-6)

    def primal(x):
        return 0.5 * np.sum((x - v) ** 2) + lam * _tv_np(x, isotropic)

    shape_p, n = (2,) + v.shape, v.size

    def dual(p):
        r = v - _grad_adjoint_np(p.reshape(shape_p))
        return 0.5 * np.sum(r * r), -_grad_np(r).ravel()

    if isotropic:
        def ball(p):  # lam² − ‖p_i‖² ≥ 0 for every pixel
            return lam ** 2 - np.sum(p.reshape(2, n) ** 2, axis=0)

        def ball_jac(p):
            q = p.reshape(2, n)
            jac = np.zeros((n, 2, n))
            jac[np.arange(n), 0, np.arange(n)] = -2 * q[0]
            jac[np.arange(n), 1, np.arange(n)] = -2 * q[1]
            return jac.reshape(n, 2 * n)

        res = scipy.optimize.minimize(dual, np.zeros(2 * n), jac=True, method="SLSQP",
                                      constraints=[{"type": "ineq", "fun": ball, "jac": ball_jac}],
                                      options=dict(ftol=1e-16, maxiter=1000))
        p = res.x.reshape(shape_p)
        p = p / np.maximum(1.0, np.sqrt(np.sum(p * p, axis=0)) / lam)  # exactly feasible
    else:
        res = scipy.optimize.minimize(dual, np.zeros(2 * n), jac=True, method="L-BFGS-B",
                                      bounds=[(-lam, lam)] * (2 * n),
                                      options=dict(ftol=1e-16, gtol=1e-13, maxiter=10000))
        p = res.x.reshape(shape_p)
    assert res.success, res.message
    x_scipy = v - _grad_adjoint_np(p)
    lower = 0.5 * np.sum(v * v) - 0.5 * np.sum(x_scipy ** 2)
    # the instance is non-trivial: at some, not all, pixels the minimiser's gradient vanishes (the kinks;
    # measured 3 of 16 isotropic, 11 of 16 anisotropic)
    flat = np.sum(np.max(np.abs(_grad_np(x_scipy)), axis=0) < 1e-5)
    assert 2 <= flat < n

    r = jaxreg.solve(problems.Denoise(v.astype(np.float32)),
                     methods.get("tv", lam=lam, isotropic=isotropic, circular=True, tol=0.0), key=KEY, num_iters=3000)
    x = np.asarray(r.image, np.float64)
    p_jax, p_scipy = primal(x), primal(x_scipy)
    # measured: relative gaps ≤ 1.1e-7 (jaxreg) and ≤ 3.3e-9 (SciPy); argmin difference ≤ 5.2e-8
    assert (p_jax - lower) / p_jax <= 1e-5
    assert abs(p_jax - p_scipy) / p_scipy <= 1e-5
    np.testing.assert_allclose(x, x_scipy, rtol=0, atol=1e-4)


# ================================================================================================
# 3. ℓ0 smoothing equals an independent NumPy implementation of the authors' L0Smoothing.m
# ================================================================================================
def _psf2otf(psf, shape):
    """MATLAB's psf2otf: zero-pad to ``shape``, circularly shift the centre to (0, 0), FFT."""
    padded = np.zeros(shape)
    padded[:psf.shape[0], :psf.shape[1]] = psf
    for axis, size in enumerate(psf.shape):
        padded = np.roll(padded, -(size // 2), axis=axis)
    return np.fft.fft2(padded)


def _l0_smoothing_numpy(image, lam=0.02, kappa=2.0, beta_max=1e5):
    """Xu, Lu, Xu & Jia (2011), ``L0Smoothing.m`` line by line; returns (S, number of iterations)."""
    S = image.copy()
    H, W, C = image.shape
    otf_fx = _psf2otf(np.array([[1.0, -1.0]]), (H, W))
    otf_fy = _psf2otf(np.array([[1.0], [-1.0]]), (H, W))
    normin1 = np.fft.fft2(image, axes=(0, 1))
    denormin2 = np.repeat((np.abs(otf_fx) ** 2 + np.abs(otf_fy) ** 2)[:, :, None], C, axis=2)
    beta = 2.0 * lam
    iterations = 0
    while beta < beta_max:
        denormin = 1.0 + beta * denormin2
        # h-v subproblem
        h = np.concatenate([np.diff(S, axis=1), S[:, :1] - S[:, -1:]], axis=1)
        v = np.concatenate([np.diff(S, axis=0), S[:1] - S[-1:]], axis=0)
        t = np.sum(h ** 2 + v ** 2, axis=2) < lam / beta  # joint over channels
        t = np.repeat(t[:, :, None], C, axis=2)
        h[t] = 0.0
        v[t] = 0.0
        # S subproblem
        normin2 = np.concatenate([h[:, -1:] - h[:, :1], -np.diff(h, axis=1)], axis=1)
        normin2 = normin2 + np.concatenate([v[-1:] - v[:1], -np.diff(v, axis=0)], axis=0)
        fs = (normin1 + beta * np.fft.fft2(normin2, axes=(0, 1))) / denormin
        S = np.real(np.fft.ifft2(fs, axes=(0, 1)))
        beta *= kappa
        iterations += 1
    return S, iterations


def _load_crop(rel, size=64):
    """A real image of ../shared/data as float64 in [0, 1], centre-cropped to size×size (RGBA: RGB·α/255)."""
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"real test image {path} not found (the shared data folder ../shared/data is absent)")
    a = np.asarray(Image.open(path), np.float64)
    if a.shape[-1] == 4:  # clip art is RGBA: composite over black, as the README prescribes
        a = a[..., :3] * a[..., 3:] / 255.0
    a = a / 255.0
    h, w = a.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return a[top:top + size, left:left + size]


L0_IMAGES = ["clipart/gt/clip1.png", "nks/test/S10_T1.png", "dip/denoising_F16_GT.png"]


@pytest.mark.parametrize("rel", L0_IMAGES, ids=["clipart", "nks", "dip"])
def test_l0_smoothing_equals_the_authors_algorithm_in_numpy(rel):
    image = _load_crop(rel)
    expected, iterations = _l0_smoothing_numpy(image, 0.02)
    assert iterations == 22 == num_l0_iterations(0.02)
    assert np.abs(expected - image).max() > 0.1  # the smoothing does something on this crop
    # float64 on both sides: the threshold Σ_c(h² + v²) < λ/β is discontinuous, so float32 rounding can
    # flip a pixel's decision and the results then differ by ~1e-4 (measured), far above the tolerance.
    with jax.enable_x64(True):
        got = l0_smooth(jnp.asarray(image), 0.02)
        r = jaxreg.solve(problems.Smooth(image), methods.get("l0-smoothing", lam=0.02), key=KEY, num_iters=40)
    assert got.dtype == jnp.float64 and r.image.dtype == jnp.float64
    # measured max abs differences: ≤ 3.3e-13
    np.testing.assert_allclose(np.asarray(got), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.asarray(r.image), expected, rtol=0, atol=1e-5)
    assert r.status == Status.CONVERGED and r.num_iters == 22
    np.testing.assert_allclose(r.history["beta"], 0.04 * 2.0 ** np.arange(1, 23))



@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_l0_smoothing_keeps_the_image_mean_in_float32(name):
    """The exact S-update keeps the mean of the input (its zero frequency is F(I)₀); without restoring it, the
    float32 FFT's round-off in that bin, multiplied by β up to 1e5, moved the mean by 6e-6 … 2e-5 at 256²."""
    image = jnp.asarray(jaxreg.data.sample_image(name, size=256))
    means = np.asarray(image, np.float64).mean((0, 1))
    bound = 8 * np.finfo(np.float32).eps * float(np.abs(image).max())  # a few roundings of one mean (~1e-6)
    for lam in (0.005, 0.02, 0.1):
        smooth = l0_smooth(image, lam)
        r = jaxreg.solve(problems.Smooth(image), methods.get("l0-smoothing", lam=lam), key=KEY, num_iters=60)
        assert np.abs(np.asarray(image) - np.asarray(smooth)).max() > 0.05  # it smooths
        for out in (smooth, r.image):
            assert np.abs(np.asarray(out, np.float64).mean((0, 1)) - means).max() <= bound, lam

# ================================================================================================
# 4. Wiener deconvolution
# ================================================================================================
@pytest.mark.parametrize("reg", ["laplacian", "identity"])
def test_wiener_recovers_a_noiseless_circular_blur_as_balance_vanishes(photo, reg):
    kernel = np.array([[0.0, 0.1, 0.0], [0.1, 0.6, 0.1], [0.0, 0.1, 0.0]], np.float32)  # |K̂| ≥ 0.2
    p = problems.Deblur(jaxreg.data.blur(photo, kernel), kernel)
    r = jaxreg.solve(p, methods.get("wiener", balance=1e-12, reg=reg), key=KEY, num_iters=5)
    assert r.status == Status.CONVERGED and r.num_iters == 1
    assert np.abs(np.asarray(p.y) - photo).max() > 0.05  # the blur is visible
    np.testing.assert_allclose(np.asarray(r.image), photo, rtol=0, atol=1e-4)  # measured 6e-7


def _skimage_wiener(y, kernel, balance, reg):
    from skimage.restoration import wiener
    out = []
    for c in range(y.shape[-1]):
        yc = y[..., c].astype(np.float64)
        if reg == "laplacian":  # skimage's default regulariser: the 2-D discrete Laplacian
            out.append(wiener(yc, kernel.astype(np.float64), balance, clip=False))
        else:  # identity: a 1×1 unit impulse (transfer function of ones) ...
            a = wiener(yc, kernel.astype(np.float64), balance, reg=np.ones((1, 1)), clip=False)
            # ... or the transfer function itself (complex, so skimage does not treat it as an impulse)
            tf = np.ones((yc.shape[0], yc.shape[1] // 2 + 1), complex)
            b = wiener(yc, kernel.astype(np.float64), balance, reg=tf, clip=False)
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
            out.append(a)
    return np.stack(out, axis=-1)


@pytest.mark.parametrize("reg", ["laplacian", "identity"])
@pytest.mark.parametrize("balance", [1e-3, 0.05])
def test_wiener_matches_skimage(photo, reg, balance):
    kernel = np.asarray(jaxreg.data.gaussian_kernel(7, 1.5))
    y = (np.asarray(jaxreg.data.blur(photo, kernel)) + gaussian_noise(photo.shape, 0.01, 2)).astype(np.float32)
    r = jaxreg.solve(problems.Deblur(y, kernel), methods.get("wiener", balance=balance, reg=reg), key=KEY,
                     num_iters=1)
    expected = _skimage_wiener(y, kernel, balance, reg)
    assert np.abs(expected - y).max() > 0.1  # the deconvolution does something
    np.testing.assert_allclose(np.asarray(r.image), expected, rtol=0, atol=1e-4)  # measured ≤ 1.3e-6


@pytest.mark.parametrize("reg", ["laplacian", "identity"])
def test_wiener_denoising_is_the_filter_with_an_identity_blur(photo, reg):
    # on Denoise, x̂ = F⁻¹[Ŷ / (1 + balance·|R̂|²)]: the same as deconvolving a 1×1 delta kernel, and the
    # identity regulariser scales y by 1 / (1 + balance)
    y = np.asarray(photo, np.float32)
    r = jaxreg.solve(problems.Denoise(y), methods.get("wiener", balance=0.3, reg=reg), key=KEY, num_iters=1)
    delta = jaxreg.solve(problems.Deblur(y, np.ones((1, 1), np.float32)), methods.get("wiener", balance=0.3, reg=reg),
                         key=KEY, num_iters=1)
    np.testing.assert_allclose(np.asarray(r.image), np.asarray(delta.image), rtol=0, atol=1e-6)
    if reg == "identity":
        np.testing.assert_allclose(np.asarray(r.image), y / 1.3, rtol=0, atol=1e-5)
    else:
        assert np.std(np.diff(np.asarray(r.image), axis=0)) < 0.9 * np.std(np.diff(y, axis=0))


def test_wiener_matches_skimage_for_an_asymmetric_even_kernel_on_an_odd_image(photo):
    """Kernel centring (kh//2, kw//2) and convolution (not correlation) agree with skimage's."""
    img = np.asarray(jaxreg.data.sample_image("astronaut", size=40))[3:32, 2:35]  # 29×33
    kernel = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    kernel /= kernel.sum()
    y = (np.asarray(jaxreg.data.blur(img, kernel)) + gaussian_noise(img.shape, 0.01, 3)).astype(np.float32)
    for reg in ("laplacian", "identity"):
        out = jax.jit(methods.wiener.wiener_deconvolve, static_argnums=3)(jnp.asarray(y), kernel, 0.01, reg)
        np.testing.assert_allclose(np.asarray(out), _skimage_wiener(y, kernel, 0.01, reg), rtol=0, atol=1e-4)


# ================================================================================================
# 5. Single-pixel camera by plug-and-play ADMM
# ================================================================================================
def _spc(gray, compression):
    op = operators.SubsampledHadamard.from_compression(gray.shape, compression)
    return problems.CompressiveSensing(_apply(op, jnp.asarray(gray)), op)


def test_single_pixel_camera_full_sampling_is_recovered(gray):
    p = _spc(gray, 1.0)
    r = jaxreg.solve(p, methods.get("pnp-admm", prior="tv", lam=1e-3), key=KEY, num_iters=100)
    assert psnr(r.image, gray) >= 40.0  # measured 56.8 dB


def test_single_pixel_camera_tv_prior_beats_back_projection_at_cf4(gray):
    p = _spc(gray, 4.0)
    back = psnr(_adjoint(p.op, p.y), gray)
    r = jaxreg.solve(p, methods.get("pnp-admm", prior="tv", lam=0.01), key=KEY, num_iters=100)
    # measured: back-projection 22.7 dB, TV-PnP 26.8 dB (+4.1 dB)
    assert psnr(r.image, gray) >= back + 2.0
    h = r.history
    assert set(h) >= {"data_fidelity", "primal_residual", "dual_residual"}
    assert h["primal_residual"][-1] < 0.1 * h["primal_residual"][0]


def test_single_pixel_camera_l0_prior_improves_on_back_projection_at_cf2(gray):
    p = _spc(gray, 2.0)
    back = psnr(_adjoint(p.op, p.y), gray)
    r = jaxreg.solve(p, methods.get("pnp-admm", prior="l0", lam=1e-3), key=KEY, num_iters=100)
    assert np.all(np.isfinite(np.asarray(r.image)))
    # measured: back-projection 26.1 dB, ℓ0-PnP 26.9 dB (+0.8 dB)
    assert psnr(r.image, gray) >= back + 0.3


# ================================================================================================
# 6. TV on every problem of the core issue
# ================================================================================================
def _video(size=32, frames=4):
    """A small real video: a window panning diagonally over the astronaut, (T, H, W, 3)."""
    big = np.asarray(jaxreg.data.sample_image("astronaut", size=size + frames))
    return np.stack([big[t:t + size, t:t + size] for t in range(frames)])


def _cube(photo, bands=8):
    """A multi-band (H, W, bands) cube: smooth spectral mixtures of a real photo's RGB channels."""
    a = np.linspace(0.0, 1.0, bands)
    return photo @ np.stack([(1 - a) ** 2, 2 * a * (1 - a), a ** 2]).astype(np.float32)


def _tv_case(name, photo, gray):
    """(problem, clean image, degraded input, TV parameters, expected splitting) — ADMM with circular differences
    and no early stop (``ADMM`` below); the default TV's cases are in ``test_default_tv_reaches_the_minimum``."""
    p, clean, degraded, params, splitting = _tv_case_raw(name, photo, gray)
    return p, clean, degraded, dict(params, algorithm="admm", circular=True, tol=0.0), splitting


def _tv_case_raw(name, photo, gray):
    kernel = jaxreg.data.gaussian_kernel(5, 1.0)
    if name == "denoise":
        y = photo + gaussian_noise(photo.shape, 0.1, 1)
        return problems.Denoise(y.astype(np.float32)), photo, y, dict(lam=0.08), "direct"
    if name == "inpaint":
        mask = np.asarray(jaxreg.data.random_mask(jax.random.key(2), photo.shape, 0.5))
        y = (photo + gaussian_noise(photo.shape, 0.02, 1)) * mask
        return problems.Inpaint(y.astype(np.float32), mask), photo, y, dict(lam=0.02), "data"
    if name in ("deblur-circular", "deblur-replicate"):
        boundary = name.split("-")[1]
        blurred = _apply(problems.Deblur(photo, kernel, boundary=boundary).op, jnp.asarray(photo))
        y = np.asarray(blurred) + gaussian_noise(photo.shape, 0.01, 1)
        p = problems.Deblur(y.astype(np.float32), kernel, boundary=boundary)
        return p, photo, y, dict(lam=0.005), "direct" if boundary == "circular" else "cg"
    if name == "cs-random-binary":
        small = gray[8:24, 8:24]
        op = operators.RandomBinary(jax.random.key(3), small.shape, 128)
        p = problems.CompressiveSensing(_apply(op, jnp.asarray(small)), op)
        return p, small, _adjoint(op, p.y), dict(lam=0.01), "cg"
    if name == "cs-hadamard":
        op = operators.SubsampledHadamard.from_compression(gray.shape, 2.0)
        p = problems.CompressiveSensing(_apply(op, jnp.asarray(gray)), op)
        return p, gray, _adjoint(op, p.y), dict(lam=0.01), "data"
    if name == "video-3d":
        video = _video()
        y = video + gaussian_noise(video.shape, 0.1, 1)
        return problems.Denoise(y.astype(np.float32)), video, y, dict(lam=0.08, third_axis=True, lam_t=0.5), "direct"
    if name == "cube-3d":
        cube = _cube(photo)
        y = cube + gaussian_noise(cube.shape, 0.1, 1)
        return problems.Denoise(y.astype(np.float32)), cube, y, dict(lam=0.08, third_axis=True, lam_t=1.5), "direct"
    raise AssertionError(name)


def _chambolle_pock(problem, lam, axes, weights, iters=800, circular=True):
    """argmin_x ½‖Ax − y‖² + lam Σ_i ‖(w_a (D_a x)_i)_a‖₂ (isotropic TV, circular or zero-flux D_a along ``axes``).

    An independent solver: the primal–dual hybrid gradient method of Chambolle & Pock (J. Math. Imaging
    Vis. 2011) with K = (A, G) and G = 0 in the primal, in NumPy float64; only A and Aᵀ come from the
    problem.  Measured: 800 iterations reach the 10 000-iteration objective to ≤ 6e-6 (relative).
    """
    def fwd(x):
        return np.asarray(_apply(problem.op, jnp.asarray(x, jnp.float32)), np.float64)

    def adj(r):
        return np.asarray(_adjoint(problem.op, jnp.asarray(r, jnp.float32)), np.float64)

    def last_zero(d, a):
        if circular:
            return d
        d = d.copy()
        d[(slice(None),) * a + (-1,)] = 0.0
        return d

    def grad(x):
        return np.stack([w * last_zero(np.roll(x, -1, a) - x, a) for a, w in zip(axes, weights)])

    def grad_adj(g):
        return sum(w * (np.roll(last_zero(g[i], a), 1, a) - last_zero(g[i], a))
                   for i, (a, w) in enumerate(zip(axes, weights)))

    y = np.asarray(problem.y, np.float64)
    v = np.random.default_rng(0).normal(size=problem.image_shape)
    for _ in range(50):  # ‖A‖² by power iteration
        v = adj(fwd(v))
        norm_a2 = np.linalg.norm(v)
        v /= norm_a2
    step = 0.99 / np.sqrt(1.01 * norm_a2 + 4.0 * sum(w * w for w in weights))  # στ‖K‖² < 1, σ = τ
    x = xbar = np.zeros(problem.image_shape)
    q, g = np.zeros_like(y), np.zeros((len(axes),) + x.shape)
    for _ in range(iters):
        q = (q + step * (fwd(xbar) - y)) / (1.0 + step)  # prox of the conjugate of ½‖· − y‖²
        g = g + step * grad(xbar)
        g /= np.maximum(1.0, np.sqrt(np.sum(g * g, axis=0)) / lam)  # projection onto the lam-balls
        x_new = x - step * (adj(q) + grad_adj(g))
        xbar, x = 2.0 * x_new - x, x_new
    return x


TV_CASES = ["denoise", "inpaint", "deblur-circular", "deblur-replicate", "cs-random-binary", "cs-hadamard",
            "video-3d", "cube-3d"]


@pytest.mark.parametrize("name", TV_CASES)
def test_tv_restores_every_problem_and_reaches_the_minimum(name, photo, gray):
    p, clean, degraded, params, splitting = _tv_case(name, photo, gray)
    m = methods.get("tv", **params)
    assert m.splitting(p) == splitting
    r = jaxreg.solve(p, m, key=KEY, num_iters=1000)
    assert r.status == Status.MAX_ITERS and r.num_iters == 1000
    h = r.history
    assert set(h) == {"objective", "primal_residual", "dual_residual", "rho"}
    assert all(np.all(np.isfinite(v)) for v in h.values())
    f = float(_objective(m, r.image, p))
    assert h["objective"][-1] == pytest.approx(f, rel=1e-5)
    assert h["objective"][-1] < h["objective"][0]
    # ADMM residuals: measured reductions ≥ 44 000× (primal) and ≥ 1 700× (dual) in 1000 iterations
    assert h["primal_residual"][-1] < 1e-2 * h["primal_residual"][0]
    assert h["dual_residual"][-1] < 1e-2 * h["dual_residual"][0]
    # measured gains: denoise +1.5 dB, inpaint +10.8, deblur +3.0 (circular) / +2.7 (replicate),
    # cs +14.5 (random binary) / +4.2 (Hadamard, over the back-projection), video +1.1, cube +1.4
    assert psnr(r.image, clean) > psnr(degraded, clean) + 0.5
    # the minimum of the same objective found by an independent algorithm (non-circular boundaries of
    # the replicate blur live in A; TV is circular in both).  Measured gaps ≤ 4.9e-6 after 1000 iterations.
    # (Denoising is checked against a long float64 run above.)
    if name == "denoise":
        return
    axes, weights = m._axes_weights(p)
    x_cp = _chambolle_pock(p, params["lam"], axes, weights)
    f_cp = float(_objective(m, jnp.asarray(x_cp, jnp.float32), p))
    assert abs(f - f_cp) <= 1e-4 * f_cp, (f, f_cp)


def test_tv_splitting_follows_the_problem_structure(photo, gray):
    tv = methods.get("tv")  # zero-flux differences
    per = tv.replace(circular=True)
    kernel = jaxreg.data.gaussian_kernel(5, 1.0)
    mask = np.ones((32, 32, 1), np.float32)
    had = operators.SubsampledHadamard.from_compression(gray.shape, 2.0)
    assert tv.uses_chambolle(problems.Denoise(photo)) and not tv.uses_chambolle(problems.Inpaint(photo, mask))
    assert not tv.replace(algorithm="admm").uses_chambolle(problems.Denoise(photo))
    assert tv.splitting(problems.Denoise(photo)) == per.splitting(problems.Denoise(photo)) == "direct"  # DCT, FFT
    assert tv.splitting(problems.Inpaint(photo, mask)) == per.splitting(problems.Inpaint(photo, mask)) == "data"
    assert tv.splitting(problems.Deblur(photo, kernel)) == "data"  # DCT x-update, FFT v-update
    assert per.splitting(problems.Deblur(photo, kernel)) == "direct"
    assert tv.splitting(problems.Deblur(photo, kernel, boundary="replicate")) == "cg"
    assert tv.splitting(problems.CompressiveSensing(np.zeros(had.out_shape, np.float32), had)) == "data"
    assert tv.replace(third_axis=True).splitting(problems.Denoise(_video(16, 3))) == "direct"


DEFAULT_TV_CASES = ["inpaint", "deblur-circular", "cube-3d"]  # plain denoising: the scikit-image test below


@pytest.mark.parametrize("name", DEFAULT_TV_CASES)
def test_default_tv_reaches_the_minimum(name, photo, gray):
    """The default TV — zero-flux differences; Chambolle's projection for denoising, ADMM with a DCT x-update
    otherwise — reaches the minimum an independent float64 primal–dual solver finds for the same objective."""
    p, clean, degraded, params, _ = _tv_case_raw(name, photo, gray)
    m = methods.get("tv", **params, tol=0.0)
    assert not m.circular and m.uses_chambolle(p) == (name in ("denoise", "cube-3d"))
    r = jaxreg.solve(p, m, key=KEY, num_iters=1000)
    f = float(_objective(m, r.image, p))
    assert r.history["objective"][-1] == pytest.approx(f, rel=1e-5)
    assert psnr(r.image, clean) > psnr(degraded, clean) + 0.5
    axes, weights = m._axes_weights(p)
    x_cp = _chambolle_pock(p, params["lam"], axes, weights, iters=1500, circular=False)
    f_cp = float(_objective(m, jnp.asarray(x_cp, jnp.float32), p))
    assert abs(f - f_cp) <= 1e-4 * f_cp, (f, f_cp)


def test_default_tv_denoising_equals_scikit_image(photo, noisy):
    """Chambolle's projection with zero-flux differences is scikit-image's ``denoise_tv_chambolle``: run both to
    convergence at the same weight; the images agree to the accuracy of the two stopping points."""
    from skimage.restoration import denoise_tv_chambolle
    y = noisy.astype(np.float32)
    for lam in (0.03, 0.1):
        # scikit-image in float64 (in float32 its iteration stalls above the minimum: at λ = 0.1 its objective
        # was 7e-4 above jaxreg's float32 result, max |Δ| 2.2e-3)
        ref = denoise_tv_chambolle(y.astype(np.float64), weight=lam, channel_axis=-1, eps=1e-12, max_num_iter=5000)
        r = jaxreg.solve(problems.Denoise(y), methods.get("tv", lam=lam, tol=0.0), key=KEY, num_iters=5000)
        # measured max |Δ| 4.9e-5 (λ 0.03) and 8.4e-6 (λ 0.1); circular differences differ by > 1e-2 at the border
        np.testing.assert_allclose(np.asarray(r.image), ref, rtol=0, atol=2e-4)
        per = jaxreg.solve(problems.Denoise(y), methods.get("tv", lam=lam, tol=0.0, circular=True), key=KEY,
                           num_iters=5000)
        assert np.abs(np.asarray(per.image) - ref).max() > 1e-2  # the check can fail: the boundary matters


def test_3d_tv_with_zero_weight_on_the_third_axis_is_2d_tv(photo):
    cube = _cube(photo)
    p = problems.Denoise((cube + gaussian_noise(cube.shape, 0.1, 1)).astype(np.float32))
    r3 = jaxreg.solve(p, methods.get("tv", lam=0.08, third_axis=True, lam_t=0.0), key=KEY, num_iters=50)
    r2 = jaxreg.solve(p, methods.get("tv", lam=0.08), key=KEY, num_iters=50)
    np.testing.assert_allclose(np.asarray(r3.image), np.asarray(r2.image), rtol=0, atol=1e-5)
    r3 = jaxreg.solve(p, methods.get("tv", lam=0.08, third_axis=True, lam_t=1.0), key=KEY, num_iters=50)
    assert np.abs(np.asarray(r3.image) - np.asarray(r2.image)).max() > 1e-2  # lam_t is used


def _tv_lambda_range_problems():
    """Denoising, noise-free inpainting (40 % observed) and circular deblurring of a real 48² photo."""
    clean = jnp.asarray(jaxreg.data.sample_image("astronaut", size=48))
    mask = (jax.random.uniform(jax.random.key(1), clean.shape[:2]) < 0.4).astype(jnp.float32)
    kernel = jaxreg.data.gaussian_kernel(9, 1.6)
    blurred = jaxreg.data.blur(clean, kernel) + 0.01 * jax.random.normal(jax.random.key(3), clean.shape)
    return {"denoise": problems.Denoise(jaxreg.data.add_gaussian_noise(jax.random.key(2), clean, 0.1)),
            "inpaint": problems.Inpaint(clean * mask[..., None], mask),
            "deblur": problems.Deblur(blurred, kernel)}


@pytest.mark.slow  # 63 s from a cold cache on 2 cores with a benchmark beside it (Intel Xeon)
def test_tv_default_converges_over_three_decades_of_lambda():
    """TV by ADMM (ρ₀ = 10 λ with relative residual balancing: the default) reaches, in 200 iterations (the CLI's
    default), the objective of a 1500-iteration run to a relative gap of 2e-3 for λ from 3e-4 to 0.3 on denoising,
    inpainting and deblurring.  With ρ = 1 fixed (the former default) it does not: inpainting at λ = 3e-4.
    (``tests/test_admm_convergence.py`` extends this to λ = 1, ``pnp-admm`` and ``dip-tv-admm``.)"""
    lams = [3e-4, 3e-3, 3e-2, 3e-1]
    gaps = {}
    for name, p in _tv_lambda_range_problems().items():
        admm = methods.get("tv", algorithm="admm", tol=0.0)
        ref = jaxreg.sweep(p, admm, {"lam": lams}, key=KEY, num_iters=1500)
        f_star = np.nanmin(ref.history["objective"], axis=1)
        for label, m in (("default", admm), ("fixed", admm.replace(adaptive=False, rho=1.0))):
            s = jaxreg.sweep(p, m, {"lam": lams}, key=KEY, num_iters=200)
            gaps[name, label] = (np.asarray(s.history["objective"])[:, -1] - f_star) / np.abs(f_star)
    print({k: np.round(v, 6).tolist() for k, v in gaps.items()})
    for name in ("denoise", "inpaint", "deblur"):
        assert np.all(gaps[name, "default"] <= 2e-3), (name, gaps[name, "default"])
    assert gaps["inpaint", "fixed"][0] > 1e-1  # the check can fail: a fixed ρ = 1 is far from λ = 3e-4


def test_adaptive_penalty_changes_rho_and_rescues_a_badly_scaled_rho(photo):
    kernel = jaxreg.data.gaussian_kernel(5, 1.0)
    y = np.asarray(jaxreg.data.blur(photo, kernel)) + gaussian_noise(photo.shape, 0.01, 1)
    p = problems.Deblur(y.astype(np.float32), kernel)
    lam = 0.005
    tv = methods.get("tv", lam=lam, circular=True, tol=0.0)  # circular differences: one exact FFT x-update
    ref = jaxreg.solve(p, tv.replace(rho=1.0), key=KEY, num_iters=2000)
    f_star = float(ref.history["objective"][-1])
    fixed = jaxreg.solve(p, tv.replace(rho=10.0, adaptive=False), key=KEY, num_iters=150)
    adaptive = jaxreg.solve(p, tv.replace(rho=10.0, adaptive=True), key=KEY, num_iters=150)
    assert np.all(fixed.history["rho"] == 10.0)
    rhos = adaptive.history["rho"]
    assert np.unique(rhos).size > 1 and rhos[-1] < 10.0  # measured: 10 → 0.3125 by halvings
    np.testing.assert_allclose(np.log2(rhos / 10.0), np.round(np.log2(rhos / 10.0)), atol=1e-6)
    gap_fixed = (fixed.history["objective"][-1] - f_star) / f_star
    gap_adaptive = (adaptive.history["objective"][-1] - f_star) / f_star
    # measured: 0.10 with ρ = 10 fixed, 2.4e-4 adaptive (residual balancing rescues a badly scaled ρ)
    assert gap_fixed > 1e-2
    assert abs(gap_adaptive) < 1e-3


# ================================================================================================
# 7. TV is vmappable: sweep = separate solves
# ================================================================================================
def test_sweep_over_tv_lam_equals_separate_solves(photo, noisy):
    p = problems.Denoise(noisy.astype(np.float32))
    lams = [0.02, 0.05, 0.1, 0.2]
    admm = methods.get("tv", algorithm="admm", tol=0.0)
    s = jaxreg.sweep(p, admm, {"lam": lams}, key=KEY, num_iters=60)
    assert s.images.shape == (4, 32, 32, 3)
    for i, lam in enumerate(lams):
        r = jaxreg.solve(p, admm.replace(lam=lam), key=KEY, num_iters=60)
        np.testing.assert_allclose(np.asarray(s.images[i]), np.asarray(r.image), rtol=0, atol=1e-5)
        np.testing.assert_allclose(s.history["objective"][i], r.history["objective"], rtol=1e-5)
        np.testing.assert_allclose(s.history["primal_residual"][i], r.history["primal_residual"], rtol=1e-4)
    assert np.abs(np.asarray(s.images[0]) - np.asarray(s.images[3])).max() > 1e-2  # lam matters


# ================================================================================================
# 8. Bad input gives a clear ValueError (before anything is compiled)
# ================================================================================================
def _bm3d_installed():
    try:
        import bm3d  # noqa: F401
    except ImportError:
        return False
    return True


BAD = [
    ("tv lam 0", "tv", dict(lam=0.0), "denoise", "tv: lam must be positive"),
    ("tv lam < 0", "tv", dict(lam=-0.1), "denoise", "tv: lam must be positive"),
    ("tv rho 0", "tv", dict(rho=0.0), "denoise", "tv: rho must be positive"),
    ("tv lam_t < 0", "tv", dict(third_axis=True, lam_t=-1.0), "denoise", "lam_t must be non-negative"),
    ("tv cg_iters", "tv", dict(cg_iters=0), "denoise", "cg_iters must be at least 1"),
    ("tv algorithm", "tv", dict(algorithm="fista"), "denoise", "algorithm must be one of"),
    ("tv chambolle deblur", "tv", dict(algorithm="chambolle"), "deblur", "not Deblur"),
    ("tv 3-D on gray", "tv", dict(third_axis=True), "gray", "third_axis=True needs at least 2 channels"),
    ("l0 lam 0", "l0-smoothing", dict(lam=0.0), "denoise", "l0-smoothing: lam must be positive"),
    ("l0 kappa 1", "l0-smoothing", dict(kappa=1.0), "denoise", "kappa must be > 1"),
    ("l0 kappa 0.5", "l0-smoothing", dict(kappa=0.5), "denoise", "kappa must be > 1"),
    ("pnp lam 0", "pnp-admm", dict(lam=0.0), "denoise", "pnp-admm: lam must be positive"),
    ("pnp rho < 0", "pnp-admm", dict(rho=-1.0), "denoise", "pnp-admm: rho must be positive"),
    ("pnp unknown prior", "pnp-admm", dict(prior="nope"), "denoise", "unknown prior 'nope'"),
    ("pnp bm3d missing", "pnp-admm", dict(prior="bm3d"), "denoise", "needs the optional bm3d package"),
    ("wiener balance < 0", "wiener", dict(balance=-1e-3), "deblur", "wiener: balance must be non-negative"),
    ("wiener on inpaint", "wiener", dict(), "inpaint", "'wiener' does not support Inpaint"),
    ("wiener reg", "wiener", dict(reg="tv"), "deblur", "reg must be one of"),
]


@pytest.mark.parametrize("method,params,kind,match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_value_error_before_compiling(method, params, kind, match, photo, gray,
                                                              monkeypatch):
    if "bm3d" in match and _bm3d_installed():
        pytest.skip("the bm3d package is installed, so prior='bm3d' is valid")
    p = {"denoise": lambda: problems.Denoise(photo), "gray": lambda: problems.Denoise(gray),
         "deblur": lambda: problems.Deblur(photo, np.ones((3, 3), np.float32) / 9),
         "inpaint": lambda: problems.Inpaint(photo, np.ones(photo.shape[:2], np.float32))}[kind]()
    m = methods.get(method, **params)

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled before validating")

    monkeypatch.setattr(jax, "jit", no_compile)
    with pytest.raises(ValueError, match=match):
        jaxreg.solve(p, m, key=KEY, num_iters=2)


def test_bad_input_to_the_pure_functions_and_to_sweep(photo):
    with pytest.raises(ValueError, match="lam must be positive"):
        l0_smooth(jnp.asarray(photo), 0.0)
    with pytest.raises(ValueError, match="reg must be one of"):
        methods.wiener.wiener_deconvolve(jnp.asarray(photo), np.ones((3, 3)) / 9, 0.01, "tv")
    with pytest.raises(ValueError, match="tv: lam must be positive"):  # every grid value is validated
        jaxreg.sweep(problems.Denoise(photo), methods.get("tv"), {"lam": [0.1, 0.0]}, key=KEY, num_iters=2)


def test_relative_change_tolerance_does_not_stop_admm_after_its_first_step():
    """ADMM leaves x unchanged in its first step (duals start at 0); tol must not read that as convergence."""
    clean = np.asarray(jaxreg.data.sample_image("astronaut", size=32))
    noisy = clean + 0.1 * np.asarray(jax.random.normal(jax.random.key(5), clean.shape))
    p = problems.Denoise(noisy.astype(np.float32))
    for m in (methods.get("tv", lam=0.08, algorithm="admm", tol=0.0), methods.get("pnp-admm", lam=0.08, prior="tv")):
        r = jaxreg.solve(p, m, key=jax.random.key(0), num_iters=200, tol=1e-4, reference=clean)
        full = jaxreg.solve(p, m, key=jax.random.key(0), num_iters=200, reference=clean)
        assert r.status == Status.CONVERGED and 1 < r.num_iters < 200, (m.name, r.num_iters)
        # it stops near the fixed point: within 0.05 dB of the 200-iteration result (tv: 25, pnp: 5 iterations)
        assert abs(r.history["psnr"][-1] - full.history["psnr"][-1]) < 0.05, m.name
        assert r.history["psnr"][-1] > float(jaxreg.metrics.psnr(noisy, clean, data_range=1.0)) + 1.0, m.name
