"""Region fusion (Nguyen & Brown, ICCV 2015): the in-graph parallel algorithm, the sequential sweep, ``l0_energy``,
the method.

References independent of the code under test: a second transcription of the published sweep written here
with Python lists (no pooled neighbour storage), hand-computed energies, and structural facts that hold for
any region-fusion result (each region takes the mean of the input over it; λ = 0 is the identity; a huge λ
fuses everything to the global mean).
"""

from pathlib import Path

import numpy as np
import pytest
import jax
import jax.numpy as jnp
from PIL import Image
from scipy import ndimage

import jaxreg
import jaxreg.data
from jaxreg import methods, problems
from jaxreg.regularizers import l0_energy, region_fusion
from jaxreg.regularizers import _region_fusion_exact as exact_mod
from jaxreg.regularizers._region_fusion_exact import region_fusion_exact_numpy

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "clipart").is_dir(),
                                reason=f"shared data folder {DATA} is absent (real clip-art images)")
KEY = jax.random.key(0)


# ------------------------------------------------------------------------------------------------ data
def _clipart_clean(k):
    rgba = np.asarray(Image.open(DATA / "clipart" / "gt" / f"clip{k}.png").convert("RGBA")).astype(np.float32)
    return rgba[..., :3] * (rgba[..., 3:] / 255.0) / 255.0


def _clipart_jpeg(k):
    return np.asarray(Image.open(DATA / "clipart" / "jpeg_q10" / f"clip{k}.jpg").convert("RGB")).astype(np.float32) / 255


def _crop(img, size=32, at=None):
    h, w = img.shape[:2]
    i, j = at if at is not None else ((h - size) // 2, (w - size) // 2)
    return np.ascontiguousarray(img[i:i + size, j:j + size])


@pytest.fixture(scope="module")
def real_crops():
    """Three real 32×32 crops: clean clip art, JPEG q10 clip art, a noisy photo (σ = 0.1)."""
    if not (DATA / "clipart").is_dir():
        pytest.skip(f"shared data folder {DATA} is absent (real clip-art images)")
    photo = np.asarray(jaxreg.data.sample_image("astronaut", size=64))[16:48, 16:48]
    noisy = (photo + np.random.default_rng(3).normal(0, 0.1, photo.shape)).astype(np.float32)
    return {"clean clip art": _crop(_clipart_clean(1), at=(150, 170)),
            "JPEG clip art": _crop(_clipart_jpeg(2)),
            "noisy photo": noisy}


def energy64(smooth, image, lam):
    """The ℓ0 energy in float64 NumPy (independent of ``l0_energy``)."""
    s, i = np.asarray(smooth, np.float64), np.asarray(image, np.float64)
    jumps = np.any(s[:, 1:] != s[:, :-1], -1).sum() + np.any(s[1:] != s[:-1], -1).sum()
    return float(np.sum((s - i) ** 2) + lam * jumps)


# ------------------------------------------------------------------------------------------------ a second transcription
def sweep_with_lists(image, lam, max_loop):
    """The published sweep (main_l0.cpp, l0_norm) with Python lists; float32 means, float64 test."""
    rows, cols, bands = image.shape
    n = rows * cols
    y = [np.float32(v) for v in image.reshape(n, bands).ravel()]
    y = np.asarray(y, np.float32).reshape(n, bands)
    sum_y = y.copy()
    weight = [1] * n
    owner = list(range(n))
    nb = []
    for i in range(rows):
        for j in range(cols):
            g, lst = i * cols + j, []
            if j + 1 < cols:
                lst.append([g + 1, 1])
            if i + 1 < rows:
                lst.append([g + cols, 1])
            if j > 0:
                lst.append([g - 1, 1])
            if i > 0:
                lst.append([g - cols, 1])
            nb.append(lst)
    idx, lut, m = list(range(n)), list(range(n)), n
    pos = {}
    ct, it = 0.0, 0
    while it <= max_loop and m > 1:
        thresh = ct * lam
        ct += 1.0 / max_loop
        i = 0
        while i < m:
            a = idx[i]
            pos = {e[0]: h for h, e in enumerate(nb[a])}
            fix, j = len(nb[a]), 0
            while j < fix:
                b, c = nb[a][j]
                d = np.float32(0)
                for ch in range(bands):
                    d += (y[a, ch] - y[b, ch]) ** 2
                s = weight[a] + weight[b]
                if float(d) * weight[a] * weight[b] <= thresh * c * s:
                    sum_y[a] += sum_y[b]
                    y[a] = sum_y[a] / np.float32(s)
                    weight[a] = s
                    owner[b] = a
                    if j != len(nb[a]) - 1:
                        nb[a][j] = nb[a][-1]
                        pos[nb[a][j][0]] = j
                        j -= 1
                    nb[a].pop()
                    if len(nb[a]) < fix:
                        fix -= 1
                    pos.pop(b, None)
                    for k, lk in nb[b]:
                        if k == a:
                            continue
                        if k in pos:
                            nb[a][pos[k]][1] += lk
                            next(e for e in nb[k] if e[0] == a)[1] = nb[a][pos[k]][1]
                            q = next(q for q, e in enumerate(nb[k]) if e[0] == b)
                            nb[k][q] = nb[k][-1]
                            nb[k].pop()
                        else:
                            pos[k] = len(nb[a])
                            nb[a].append([k, lk])
                            next(e for e in nb[k] if e[0] == b)[0] = a
                    nb[b] = []
                    m -= 1
                    p = lut[b]
                    lut[idx[m]] = p
                    idx[p], idx[m] = idx[m], idx[p]
                j += 1
            i += 1
        it += 1

    def root(g):
        while owner[g] != g:
            g = owner[g]
        return g
    return np.stack([y[root(g)] for g in range(n)]).reshape(rows, cols, bands)


def test_list_transcription_matches_hand_trace():
    """1×3 gray [0, 0.1, 1], λ = 1, two passes: β = 0.5 fuses the first pair, β = 1 the third pixel."""
    img = np.asarray([0.0, 0.1, 1.0], np.float32).reshape(1, 3, 1)
    np.testing.assert_allclose(sweep_with_lists(img, 0.5 * 2, 2)[0, :, 0], [1.1 / 3] * 3, rtol=1e-6)
    # β = 0.5 only (λ = 0.5, max_loop = 1): (0.1)²·1·1 ≤ 0.5·1·2 fuses; (1 − 0.05)²·2·1 = 1.805 > 0.5·3
    np.testing.assert_allclose(sweep_with_lists(img, 0.5, 1)[0, :, 0], [0.05, 0.05, 1.0], rtol=1e-6)
    np.testing.assert_allclose(region_fusion_exact_numpy(img, 0.5, 1, use_numba=False)[0, :, 0], [0.05, 0.05, 1.0],
                               rtol=1e-6)


@needs_data
@pytest.mark.parametrize("lam", [0.02, 0.08])
def test_sequential_sweep_equals_a_list_transcription(real_crops, lam):
    """Pooled neighbour storage (with growth beyond the initial 8 slots) gives the transcription's result, bit for bit."""
    for name, img in real_crops.items():
        img = img[:20, :24]
        want = sweep_with_lists(img, lam, 10)
        got = region_fusion_exact_numpy(img, lam, 10, use_numba=False)
        np.testing.assert_array_equal(got, want, err_msg=name)
        regions, pixels = len(np.unique(got.reshape(-1, 3), axis=0)), img.shape[0] * img.shape[1]
        assert regions < (pixels // 4 if "clip" in name else pixels)  # it really fused


@needs_data
@pytest.mark.parametrize("clips", [pytest.param((1, 4, 7), id="3-clips"),
                                   pytest.param(tuple(range(1, 11)), id="10-clips", marks=pytest.mark.slow)])
@pytest.mark.parametrize("lam", [0.01, 0.05])
def test_exact_mode_equals_the_list_transcription_on_jpeg_clip_art(lam, clips):
    """40×40 centre crops of the q10 JPEG clip arts (flat regions, many equal colours: long neighbour lists, ties,
    fusions that reorder lists), 50 passes: bit for bit, through the public entry point too.  Three clip arts in
    the default run (the pure-Python transcription takes ~1.5 s a crop), all ten with ``-m slow``."""
    for k in clips:
        img = _crop(_clipart_jpeg(k), 40)
        want = sweep_with_lists(img, lam, 50)
        np.testing.assert_array_equal(region_fusion_exact_numpy(img, lam, 50), want, err_msg=f"clip{k}")
        np.testing.assert_array_equal(np.asarray(region_fusion(img, lam, exact=True)), want, err_msg=f"clip{k}")
        assert len(np.unique(want.reshape(-1, 3), axis=0)) < 1600 // 4  # it really fused


def test_exact_mode_takes_lam_in_double_precision():
    """The C++ receives λ as a double.  1×2 image (0, 0.5), max_loop = 1 (β = 0, then β = λ): fusion iff
    0.25·1·1 ≤ λ·1·2.  λ = 0.125 − 1e-12 must not fuse, although float32(λ) = 0.125 would."""
    img = np.zeros((1, 2, 3), np.float32)
    img[0, 1, 0] = 0.5
    lam = 0.125 - 1e-12
    assert np.float32(lam) == np.float32(0.125)
    np.testing.assert_array_equal(np.asarray(region_fusion(img, lam, max_loop=1, exact=True)), img)
    np.testing.assert_array_equal(sweep_with_lists(img, lam, 1), img)
    fused = np.asarray(region_fusion(img, 0.125, max_loop=1, exact=True))
    np.testing.assert_array_equal(fused[0, :, 0], [0.25, 0.25])


@pytest.mark.skipif(exact_mod.numba is None, reason="numba is not installed (optional accelerator)")
def test_numba_sweep_equals_pure_python():
    img = np.random.default_rng(0).random((24, 20, 3)).astype(np.float32)
    img[4:16, 3:15] = 0.5  # a large flat region: long neighbour lists, pool growth
    for lam in (0.05, 0.3):
        np.testing.assert_array_equal(region_fusion_exact_numpy(img, lam, 50, use_numba=True),
                                      region_fusion_exact_numpy(img, lam, 50, use_numba=False))


# ------------------------------------------------------------------------------------------------ l0_energy
def test_l0_energy_by_hand():
    img = jnp.asarray([[[0.0], [1.0]], [[0.0], [0.5]]])
    smooth = jnp.asarray([[[0.0], [0.75]], [[0.0], [0.75]]])
    # data: 0.25² + 0.25² = 0.125; jumps: (0,0)-(0,1), (1,0)-(1,1) → 2
    assert float(l0_energy(smooth, img, 0.1)) == pytest.approx(0.125 + 0.2, rel=1e-6)
    assert float(l0_energy(smooth[..., 0], img[..., 0], 0.1)) == pytest.approx(0.325, rel=1e-6)
    # a pair differing in one channel counts once
    rgb = jnp.zeros((1, 2, 3)).at[0, 1, 2].set(1.0)
    assert float(l0_energy(rgb, rgb, 1.0)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        l0_energy(smooth, img[:1], 0.1)


# ------------------------------------------------------------------------------------------------ the in-graph algorithm
@needs_data
@pytest.mark.parametrize("lam", [0.025, 0.1])
def test_in_graph_energy_within_2_percent_of_the_sequential_sweep(real_crops, lam):
    for name, img in real_crops.items():
        e_seq = energy64(region_fusion_exact_numpy(img, lam, 50), img, lam)
        e_par = energy64(region_fusion(img, lam), img, lam)
        assert e_par <= 1.02 * e_seq, (name, e_par, e_seq)
        # and below the energies of the trivial solutions: the input itself and its global mean
        assert e_par < min(energy64(img, img, lam), energy64(np.broadcast_to(img.mean((0, 1)), img.shape), img, lam))


@needs_data
@pytest.mark.parametrize("exact", [False, True], ids=["in-graph", "sequential"])
def test_every_region_takes_the_mean_of_the_input_over_it(real_crops, exact):
    img = real_crops["JPEG clip art"]
    out = np.asarray(region_fusion(img, 0.05, exact=exact))
    _, colour = np.unique(out.reshape(-1, 3), axis=0, return_inverse=True)
    colour = colour.reshape(out.shape[:2])
    regions = 0
    for c in np.unique(colour):
        labels, k = ndimage.label(colour == c)
        for r in range(1, k + 1):
            member = labels == r
            np.testing.assert_allclose(out[member], np.broadcast_to(img[member].mean(0), out[member].shape), atol=2e-6)
            regions += 1
    assert 1 < regions < img.shape[0] * img.shape[1] // 8


def test_vmap_over_12_lams_compiles_once_and_equals_12_calls():
    img = np.asarray(jaxreg.data.sample_image("coffee", size=24))
    img = (img + np.random.default_rng(1).normal(0, 0.05, img.shape)).astype(np.float32)
    lams = jnp.linspace(0.005, 0.2, 12)
    batched = jax.jit(jax.vmap(lambda lam: region_fusion(img, lam)))
    out = np.asarray(batched(lams))
    out = np.asarray(batched(lams * 1.0))
    assert batched._cache_size() == 1
    counts = []
    for k, lam in enumerate(lams):
        single = np.asarray(region_fusion(img, float(lam)))
        np.testing.assert_array_equal(out[k], single)
        counts.append(len(np.unique(single.reshape(-1, 3), axis=0)))
    assert counts[0] > counts[-1]  # the grid really differs: larger λ, fewer regions


def test_vmap_over_images_equals_separate_calls():
    imgs = np.random.default_rng(2).random((3, 12, 10, 2)).astype(np.float32)
    out = np.asarray(jax.vmap(lambda x: region_fusion(x, 0.1))(imgs))
    for k in range(3):
        np.testing.assert_array_equal(out[k], np.asarray(region_fusion(imgs[k], 0.1)))


# ------------------------------------------------------------------------------------------------ degenerate inputs
BOTH = pytest.mark.parametrize("exact", [False, True], ids=["in-graph", "sequential"])


@BOTH
def test_constant_image_is_unchanged(exact):
    img = np.full((9, 7, 3), 0.3, np.float32)
    np.testing.assert_allclose(np.asarray(region_fusion(img, 0.05, exact=exact)), img, atol=1e-7)


@BOTH
@pytest.mark.parametrize("shape", [(1, 17, 3), (13, 1, 3), (1, 1, 3), (1, 2, 1)], ids=str)
def test_thin_and_single_pixel_images(exact, shape):
    img = np.random.default_rng(4).random(shape).astype(np.float32)
    out = np.asarray(region_fusion(img, 0.05, exact=exact))
    assert out.shape == shape and np.all(np.isfinite(out))
    assert energy64(out, img, 0.05) <= energy64(img, img, 0.05) + 1e-6
    if shape == (1, 1, 3):
        np.testing.assert_array_equal(out, img)


@BOTH
def test_lam_zero_is_the_identity(exact):
    img = np.random.default_rng(5).random((10, 11, 3)).astype(np.float32)
    img[2:6, 3:8] = 0.25  # equal neighbours fuse at β = 0, to their own value
    np.testing.assert_allclose(np.asarray(region_fusion(img, 0.0, exact=exact)), img, atol=1e-7)


@BOTH
def test_huge_lam_fuses_everything_to_the_mean(exact):
    img = np.random.default_rng(6).random((12, 9, 3)).astype(np.float32)
    out = np.asarray(region_fusion(img, 1e6, exact=exact))
    np.testing.assert_allclose(out, np.broadcast_to(img.mean((0, 1)), img.shape), atol=1e-5)


@BOTH
def test_gray_multichannel_and_unclipped_inputs(exact):
    rng = np.random.default_rng(7)
    gray = rng.random((10, 12)).astype(np.float32)
    out = np.asarray(region_fusion(gray, 0.05, exact=exact))
    assert out.shape == gray.shape
    np.testing.assert_array_equal(out, np.asarray(region_fusion(gray[..., None], 0.05, exact=exact))[..., 0])
    bands = (rng.random((10, 12, 5)) * 1.6 - 0.3).astype(np.float32)  # 5 channels, values outside [0, 1]
    out = np.asarray(region_fusion(bands, 1.0, exact=exact))
    assert out.shape == bands.shape and np.all(np.isfinite(out))
    assert energy64(out, bands, 1.0) < 0.9 * energy64(bands, bands, 1.0)


@needs_data
@pytest.mark.slow
def test_full_size_clean_clip_art_does_not_crash():
    """The released C++ segfaults on some clean clip arts (out-of-bounds page look-up); both versions here finish."""
    img = _clipart_clean(1)
    energies = {}
    for exact in (False, True):
        out = np.asarray(region_fusion(img, 0.025, exact=exact))
        assert np.all(np.isfinite(out))
        energies[exact] = energy64(out, img, 0.025)
    assert energies[False] <= 1.02 * energies[True] < 0.8 * energy64(img, img, 0.025)


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("args, kwargs, match", [
    ((np.zeros((4, 4, 3), np.float32), -0.1), {}, "non-negative"),
    ((np.zeros((4, 4, 3), np.float32), float("nan")), {}, "finite"),
    ((np.zeros((4, 4, 3), np.float32), [0.1, 0.2]), {}, "scalar"),
    ((np.zeros((4, 4, 3), np.float32), 0.1), {"max_loop": 0}, "max_loop"),
    ((np.zeros((4, 4, 3), np.float32), 0.1), {"max_rounds": 0}, "max_rounds"),
    ((np.zeros((4, 4, 3), np.uint8), 0.1), {}, "floating-point"),
    ((np.zeros((2, 4, 4, 3), np.float32), 0.1), {}, "rank"),
    ((np.zeros((0, 4, 3), np.float32), 0.1), {}, "empty"),
    ((np.full((4, 4, 3), np.nan, np.float32), 0.1), {}, "non-finite"),
])
def test_bad_input_is_a_clear_error(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        region_fusion(*args, **kwargs)


# ------------------------------------------------------------------------------------------------ the method
def test_region_fusion_method_through_solve_and_sweep():
    img = np.random.default_rng(8).random((16, 16, 3)).astype(np.float32)
    problem = problems.JPEGArtifacts(img, quality=10)
    r = jaxreg.solve(problem, methods.get("region-fusion", lam=0.05), key=KEY, num_iters=5)
    assert r.status == jaxreg.Status.CONVERGED and r.num_iters == 1
    np.testing.assert_array_equal(np.asarray(r.image), np.asarray(region_fusion(img, 0.05)))
    assert r.history["objective"][0] == pytest.approx(energy64(r.image, img, 0.05), rel=1e-5)
    grid = jaxreg.sweep(problem, methods.get("region-fusion"), {"lam": [0.01, 0.05, 0.2]}, key=KEY, num_iters=1)
    for k, lam in enumerate((0.01, 0.05, 0.2)):
        np.testing.assert_array_equal(np.asarray(grid.images[k]), np.asarray(region_fusion(img, lam)))
    exact = jaxreg.solve(problem, methods.get("region-fusion", lam=0.05, exact=True), key=KEY, num_iters=1)
    np.testing.assert_array_equal(np.asarray(exact.image), region_fusion_exact_numpy(img, 0.05))


def test_region_fusion_method_rejects_other_problems():
    img = np.zeros((8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="does not support Deblur"):
        jaxreg.solve(problems.Deblur(img, jnp.ones((3, 3)) / 9), methods.get("region-fusion"), key=KEY, num_iters=1)
    with pytest.raises(ValueError, match="lam must be non-negative"):
        jaxreg.solve(problems.Smooth(img), methods.get("region-fusion", lam=-1.0), key=KEY, num_iters=1)
