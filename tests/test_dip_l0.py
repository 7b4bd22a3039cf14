"""DIP-ℓ0 (Tran, Bui & Xin, Algorithm 1): update order and ADMM variables against a NumPy transcription, the ℓ0-step
choices, the two averages, forward operators, the λ × β grid as one compiled call, and eager errors.

The transcription tests use a "network" whose output is its own parameter (one pixel per weight), so that the
K Adam steps of (6a) can be transcribed too and every quantity of Algorithm 1 is checked.  Other unit tests use a
small skip network on 32×32 crops; the acceptance test on real clip art with the official network is slow.
"""

from __future__ import annotations

from pathlib import Path

import flax.linen as nn
import numpy as np
import pytest
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg import _driver, data, metrics, methods, nets, problems
from jaxreg.regularizers import region_fusion
from jaxreg.regularizers._region_fusion_exact import region_fusion_exact_numpy
from jaxreg.regularizers.l0 import l0_smooth
from helpers import assert_own_grid_point

KEY = jax.random.key(0, impl="rbg")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SMALL = nets.Skip(channels_down=(8, 8), channels_up=(8, 8), channels_skip=(2, 2))


class PixelNet(nn.Module):
    """``g_θ(z) = θ``: one parameter per pixel (initialised U[0, 1)), so Adam on θ is Adam on the image."""

    shape: tuple

    @nn.compact
    def __call__(self, z):
        return self.param("image", nn.initializers.uniform(1.0), (1,) + self.shape)


@pytest.fixture(scope="module")
def tiny():
    """A real 8×8 colour crop (scikit-image astronaut at 64², the helmet edge) and its q10 JPEG."""
    clean = np.asarray(data.sample_image("astronaut", size=64))[8:16, 24:32]
    return clean, np.asarray(data.jpeg_roundtrip(clean, 10))


def transcription(y, g_jax, theta0, v0, w0, *, lam, beta, lr, K, gamma, average, prox):
    """Algorithm 1 in NumPy for len(g_jax) outer iterations.

    θ-update: K steps of Adam (b1 0.9, b2 0.999, eps 1e-8, one state for the run) on
    ‖θ − y‖² + Σ w(v − θ) + β/2 ‖v − θ‖² (float64).  The v, w, u updates use the network outputs of the jaxreg
    run (``g_jax[t]``; identical network outputs), in float32 as the run.  Returns the transcription's g, v, w, u
    and last inner losses per outer iteration."""
    theta, m, s, n = theta0.astype(np.float64), 0.0, 0.0, 0
    v, w, u = v0, w0, y
    out = {"g": [], "v": [], "w": [], "u": [], "loss": []}
    for t in range(len(g_jax)):
        for _ in range(K):  # (6a) with the current v^t, w^t
            loss = np.sum((theta - y) ** 2) + np.sum(w * (v - theta)) + 0.5 * beta * np.sum((v - theta) ** 2)
            grad = 2 * (theta - y) - w - beta * (v - theta)
            n += 1
            m = 0.9 * m + 0.1 * grad
            s = 0.999 * s + 0.001 * grad ** 2
            theta = theta - lr * (m / (1 - 0.9 ** n)) / (np.sqrt(s / (1 - 0.999 ** n)) + 1e-8)
        g = np.asarray(g_jax[t], np.float32)
        v = np.asarray(prox(g, w, beta, 2 * lam / beta), np.float32)  # (6b) of g − w/β, then (6c), (7)
        w = w + np.float32(beta) * (v - g)
        u = gamma * u + (1 - gamma) * g if average == "code" else gamma * g + (1 - gamma) * u
        for k, val in zip(("g", "v", "w", "u", "loss"), (theta, v, w, u, loss)):
            out[k].append(val)
    return out


# the ℓ0 step of g − w/β.  Half-quadratic ℓ0 smoothing in float32 amplifies a 1-ulp change of its input through
# β up to 1e5 (its mean moves by ~1e-4), so for it g − w/β is formed inside the same jitted function as in the run,
# and only the first outer iteration is compared (w¹ of the transcription and of the run differ in the last bit).
PROX = {"fusion-exact": lambda g, w, beta, lam: region_fusion_exact_numpy(g - w / np.float32(beta), lam, 50),
        "fusion": lambda g, w, beta, lam: region_fusion(jnp.asarray(g - w / np.float32(beta)), lam),
        "l0-smoothing": lambda g, w, beta, lam: jax.jit(lambda g, w: l0_smooth(g - w / beta, lam))(g, w)}


# ("fusion-exact", "code") took 23 s from a cold cache on 2 cores (serial; Intel Xeon): slow
@pytest.mark.parametrize("l0_step, average", [pytest.param("fusion-exact", "code", marks=pytest.mark.slow),
                                              ("fusion-exact", "paper"),
                                              ("fusion", "code"), ("l0-smoothing", "code")])
def test_two_outer_iterations_equal_a_numpy_transcription_of_algorithm_1(tiny, l0_step, average):
    clean, y = tiny
    lam, beta, lr, K, gamma = 0.05, 1.5, 0.05, 3, 0.9
    m = methods.get("dip-l0", net=PixelNet(y.shape), input_depth=1, lam=lam, beta=beta, lr=lr, num_inner=K,
                    gamma=gamma, l0_step=l0_step, average=average)
    p = problems.JPEGArtifacts(jnp.asarray(y), quality=10)
    state = m.init(KEY, p)
    np.testing.assert_array_equal(state["u"], y)  # u⁰ = f
    theta0, v0, w0 = (np.asarray(state[k]) for k in ("g", "v", "w"))
    assert v0.min() >= 0 and v0.max() < 1 and w0.min() >= 0 and w0.max() < 1 and not np.allclose(v0, w0)
    step = jax.jit(m.step)
    states = [step(state, p)]
    if l0_step != "l0-smoothing":
        states.append(step(states[0], p))
    ref = transcription(y, [s["g"] for s in states], theta0, v0, w0, lam=lam, beta=beta, lr=lr, K=K, gamma=gamma,
                        average=average, prox=PROX[l0_step])
    for t, s in enumerate(states):
        np.testing.assert_allclose(s["g"], ref["g"][t], atol=2e-5, err_msg=f"g, t={t + 1}")
        np.testing.assert_allclose(s["loss"], ref["loss"][t], rtol=1e-4, err_msg=f"(6a) loss, t={t + 1}")
        np.testing.assert_allclose(s["v"], ref["v"][t], atol=1e-5, err_msg=f"v, t={t + 1}")
        np.testing.assert_allclose(s["w"], ref["w"][t], atol=1e-5, err_msg=f"w, t={t + 1}")
        np.testing.assert_allclose(s["u"], ref["u"][t], atol=1e-6, err_msg=f"u, t={t + 1}")
    if l0_step != "l0-smoothing":  # region fusion made v piecewise constant: fewer colours than pixels
        assert len(np.unique(np.asarray(states[-1]["v"]).reshape(-1, 3), axis=0)) < 64


def test_the_two_averages_differ_as_documented(tiny):
    _, y = tiny
    common = dict(net=PixelNet(y.shape), input_depth=1, num_inner=1, l0_step="fusion")
    p = problems.JPEGArtifacts(jnp.asarray(y), quality=10)
    code = jaxreg.solve(p, methods.get("dip-l0", **common), key=KEY, num_iters=1)
    paper = jaxreg.solve(p, methods.get("dip-l0", average="paper", **common), key=KEY, num_iters=1)
    g = np.asarray(code.state["g"])
    np.testing.assert_allclose(code.image, 0.9 * y + 0.1 * g, atol=1e-6)   # the code: 0.1 on the new output
    np.testing.assert_allclose(paper.image, 0.9 * g + 0.1 * y, atol=1e-6)  # paper eq. (7): γ = 0.9 on it


# ================================================================================================
# eager errors
# ================================================================================================
@pytest.mark.parametrize("kw, match", [
    ({"l0_step": "potts"}, "l0_step must be one of"),
    ({"average": "mean"}, "average must be one of"),
    ({"num_inner": 0}, "num_inner must be >= 1"),
    ({"gamma": 1.5}, r"gamma must be in \[0, 1\]"),
    ({"lam": 0.0}, "lam must be positive"),
    ({"beta": -1.0}, "beta must be positive"),
    ({"net": "skip"}, "net must be a Flax module"),
])
def test_bad_hyperparameters_are_named(tiny, kw, match):
    with pytest.raises(ValueError, match=match):
        jaxreg.solve(problems.Smooth(jnp.asarray(tiny[1])), methods.get("dip-l0", **kw), key=KEY, num_iters=1)


def test_video_is_refused_before_compilation(tiny):
    with pytest.raises(ValueError, match=r"images must be \(H, W, C\)"):
        jaxreg.solve(problems.Smooth(jnp.stack([jnp.asarray(tiny[1])] * 2)), methods.get("dip-l0"), key=KEY,
                     num_iters=1)


# ================================================================================================
# a real network: forward operators, the grid as one compiled call
# ================================================================================================
@pytest.fixture(scope="module")
def crop32():
    clean = jnp.asarray(data.sample_image("astronaut", size=256)[60:92, 100:132])
    return clean


@pytest.mark.slow  # over 20 s from a cold cache on 2 cores (21 to 77 s measured on an Intel Xeon)
def test_inpainting_with_a_forward_operator_fills_the_missing_pixels(crop32):
    """Beyond the paper: ‖A g − y‖² with a 50 % pixel mask; the missing pixels come from the network."""
    mask = data.random_mask(jax.random.key(3), crop32.shape[:2] + (1,), 0.5)
    p = problems.Inpaint(crop32 * mask, mask)
    m = methods.get("dip-l0", net=SMALL, input_depth=4, lr=0.01, num_inner=10, lam=0.01)
    r = jaxreg.solve(p, m, key=KEY, num_iters=20, reference=crop32)
    start = float(metrics.psnr(p.initial_image(), crop32, data_range=1.0))
    assert r.history["psnr"][-1] > start + 5.0, (start, r.history["psnr"][-1])
    assert np.all(np.isfinite(r.history["objective"]))
    # the ADMM constraint v = g is being enforced: the RMS of v − g falls
    assert r.history["constraint"][-1] < 0.5 * r.history["constraint"][0]


# over 20 s from a cold cache on 2 cores (20.7–32 s, Intel Xeon): in the slow set
@pytest.mark.slow
def test_the_lambda_beta_grid_is_one_compiled_call_and_a_point_equals_its_solve(crop32):
    clean = crop32[::2, ::2]  # 16×16; the pixel "network" keeps the compilation short
    noisy = data.add_gaussian_noise(jax.random.key(1), clean, 0.1)
    p = problems.Denoise(noisy)
    base = methods.get("dip-l0", net=PixelNet(clean.shape), input_depth=1, num_inner=2, lr=0.05)
    key = jax.random.key(0)  # threefry: rbg draws differ under vmap
    before = _driver.trace_count["compiles"]
    s = jaxreg.sweep(p, base, {"lam": [0.025, 0.05, 0.075], "beta": [1.5, 1.75, 2.0, 2.25]}, key=key, num_iters=3,
                     reference=clean)
    assert _driver.trace_count["compiles"] - before == 2  # one init + one chunk executable for all 12 points
    assert s.images.shape == (12, 16, 16, 3)
    assert len({float(v) for v in s.scores("objective")}) == 12
    i = 7  # λ 0.05, β 2.25
    r = jaxreg.solve(p, base.replace(lam=0.05, beta=2.25), key=key, num_iters=3)
    assert_own_grid_point(s.images[i], r.image, [s.images[6], s.images[3], s.images[11]])
    assert_own_grid_point(s.state["v"][i], r.state["v"], [s.state["v"][6], s.state["v"][3], s.state["v"][11]],
                          what="v")


# ================================================================================================
# acceptance on real clip art with the official network (slow)
# ================================================================================================
@pytest.mark.slow
def test_official_dip_l0_removes_jpeg_artefacts_from_a_real_clip_art():
    """Clip art (j) of the DIP-ℓ0 paper (clip10), ground truth downscaled ×6 and re-compressed at q10, the paper's clip-art
    setting (λ 0.025, β 2.0, lr 1e-3, K 25) for T = 40: DIP-ℓ0 beats its JPEG input and region fusion at the same
    λ_RF on the input.  The full table: benchmarks/reproduce_dip_l0.py table2."""
    path = SHARED / "clipart" / "gt" / "clip10.png"
    if not path.exists():
        pytest.skip(f"shared data absent: {path}")
    from PIL import Image
    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA")).astype(np.float32)
    ref = rgba[..., :3] * rgba[..., 3:] / 255.0
    h, w = ref.shape[:2]
    small = Image.fromarray(np.round(ref).astype(np.uint8)).resize((round(w / 6), round(h / 6)), Image.Resampling.LANCZOS)
    ref = np.asarray(small).astype(np.float32) / 255.0
    y = data.jpeg_roundtrip(ref, 10)
    r = jaxreg.solve(problems.JPEGArtifacts(y, quality=10), methods.get("dip-l0"), key=KEY, num_iters=40)
    out = float(metrics.psnr(r.image, ref, data_range=1.0))
    base = float(metrics.psnr(y, ref, data_range=1.0))
    rf = float(metrics.psnr(region_fusion(y, 0.025, exact=True), ref, data_range=1.0))
    assert out > base + 0.5 and out > rf, (base, rf, out)
