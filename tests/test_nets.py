"""Networks: parameter counts against the official ones, output sizes, layers against independent
references (NumPy, ``lax.conv_general_dilated``, ``jax.image.resize``), initialisers, inputs, dropout, the ALR
critic, input validation, and the whole DIP skip / DRP / critic networks against PyTorch replicas of the
authors' layer sequence (skipped without torch).

Parameter counts and most shapes come from ``jax.eval_shape`` (tracing only); real forward passes use small
configurations except in the PyTorch comparisons, which run the official default networks at 64×64.
"""

import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import jax
import jax.numpy as jnp
from jax import lax

import jaxreg.nets as nets
from jaxreg.nets import layers
from jaxreg.nets import conv as conv_mod
from jaxreg.nets.conv import conv2d

KEY = jax.random.key(0)
# for compiled initialisations: XLA compiles one threefry hash per parameter, which costs 3× more compile time
# than the "rbg" generator for the same uniform draws (8.8 s vs 2.6 s for a 3-scale skip net on 2 cores)
FAST_KEY = jax.random.key(0, impl="rbg")
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def init_shapes(module, shape, **kwargs):
    """Parameter tree (ShapeDtypeStructs) of ``module.init`` on a zero input of ``shape``; no compute."""
    return jax.eval_shape(lambda x: module.init(KEY, x, **kwargs), jnp.zeros(shape, jnp.float32))["params"]


def output_shapes(module, shape):
    out, _ = jax.eval_shape(lambda x: module.init_with_output(KEY, x), jnp.zeros(shape, jnp.float32))
    return jax.tree_util.tree_map(lambda a: a.shape, out)


def jit_init(module, x, **kwargs):
    """``module.init(KEY, x)`` compiled: eager initialisation dispatches (and compiles) every op separately."""
    return jax.jit(lambda x: module.init(FAST_KEY, x, **kwargs))(x)


def small_skip(**kw):
    """A 3-scale skip net with few channels (fast to compile); same code path as the default."""
    return nets.Skip.uniform(3, 8, 8, 2, **kw)


# ================================================================================================
# 1. Parameter counts: the official numbers (reference-implementations.md §0, §2, §3, §5)
# ================================================================================================
def test_skip_default_has_the_official_parameter_count():
    params = init_shapes(nets.Skip(), (1, 64, 64, 32))
    assert nets.count_params(params) == 2_217_831
    # topology spot checks: 5 scales, 1x1 skip of 4 channels, concat BN on 4 + 128 channels
    assert sum(k.endswith("_down") for k in params) == 5
    assert params["scale0_skip"]["conv"]["kernel"].shape == (1, 1, 32, 4)
    assert params["scale0_concat_bn"]["scale"].shape == (132,)
    assert params["scale4_concat_bn"]["scale"].shape == (132,)
    assert params["out_conv"]["kernel"].shape == (1, 1, 128, 3)


def test_ngr_gradient_nets_have_the_official_parameter_count():
    params = init_shapes(nets.NGRNet(), (1, 64, 64, 3))
    assert sorted(params) == ["grad_c", "grad_h", "grad_w"]
    for axis in ("h", "w", "c"):
        assert nets.count_params(params[f"grad_{axis}"]) == 2_184_307
    # independent networks: three separate parameter sets
    assert nets.count_params(params) == 3 * 2_184_307


@pytest.mark.parametrize("backbone", ["convblocks", "drp"])
def test_ngr_stacked_nets_return_what_the_three_nets_return(backbone):
    net = nets.NGRNet(backbone=backbone, width=8, out_channels=3)
    z = jax.random.uniform(jax.random.key(3), (1, 16, 16, 3))
    variables = net.init(jax.random.key(4), z)
    stacked = net.stack(variables)
    for axis, i in zip(("h", "w", "c"), range(3)):  # init's values, network by network, on a leading axis
        mine = jax.tree.map(lambda s: s[i], stacked)
        want = {col: tree[f"grad_{axis}"] for col, tree in variables.items()}
        assert jax.tree.all(jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)), mine, want))
    got, want = net.apply_stacked(stacked, z), net.apply(variables, z)
    assert len(got) == 3
    for g, w in zip(got, want):
        assert g.shape == w.shape == (1, 16, 16, 3)
        scale = float(jnp.max(jnp.abs(w)))
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=64 * np.finfo(np.float32).eps * scale)
    with pytest.raises(ValueError, match="rank 4"):
        net.apply_stacked(stacked, z[0])


def test_alr_critic_has_the_official_parameter_count():
    assert nets.count_params(init_shapes(nets.CriticCNN15(), (1, 15, 15, 3))) == 154_368


def test_drp_denoising_network_counts_and_trainable_mask():
    params = init_shapes(nets.DRPNet(), (1, 64, 64, 3))
    assert sorted(params) == ["input_bn", "net"]
    mask = nets.trainable_mask(params)
    assert nets.count_params(params["net"]) == 82_979           # the official count (skip net alone)
    assert nets.count_params(params["net"], mask["net"]) == 656  # of which BatchNorm γ, β
    assert nets.count_params(params["input_bn"]) == 6           # DRP's trainable input BN (BNNet)
    # convolutions are frozen (False), every BN leaf is trainable (True)
    conv_leaves = [m for path, m in jax.tree_util.tree_leaves_with_path(mask)
                   if path[-2].key in ("conv", "out_conv")]
    assert len(conv_leaves) == 12 and not any(conv_leaves)  # 6 convolutions × (kernel, bias)
    assert nets.count_params(params, mask) == 656 + 6
    assert nets.count_params(params) - nets.count_params(params, mask) == 82_323


def test_drp_inpainting_preset_and_deep_decoder_counts():
    params = init_shapes(nets.DRPNet("inpainting", out_channels=1), (1, 64, 64, 2))
    assert nets.count_params(params["net"]) == 463_873
    assert nets.count_params(params["net"], nets.trainable_mask(params["net"])) == 1_792
    # Deep Decoder [128]*5: 6 convs 128→128 without bias, 6 BN, final 128→3 without bias
    dd = init_shapes(nets.DeepDecoder(), (1, 2, 2, 128))
    assert nets.count_params(dd) == 6 * 128 * 128 + 6 * 2 * 128 + 128 * 3
    assert not any("bias" in dd[f"conv{i}"] for i in range(6)) and "bias" not in dd["out_conv"]


# ================================================================================================
# 2. Output sizes: equal to the input's for every image-to-image network, odd sizes included
# ================================================================================================
IMAGE_TO_IMAGE = {
    "skip": (nets.Skip(), 32),
    "skip-nearest-zero-pad": (nets.Skip(upsample_mode="nearest", pad="zero"), 32),
    "autoencoder": (nets.Autoencoder(), 32),
    "drp": (nets.DRPNet(), 3),
    "ngr-skip": (nets.NGRNet(), 3),
    "ngr-unet": (nets.NGRNet(backbone="unet"), 3),
    "ngr-resnet": (nets.NGRNet(backbone="resnet"), 3),
    "ngr-convblocks": (nets.NGRNet(backbone="convblocks"), 3),
}


@pytest.mark.parametrize("size", [(37, 53), (95, 101)], ids=["37x53", "95x101"])
@pytest.mark.parametrize("name", list(IMAGE_TO_IMAGE))
def test_output_size_equals_input_size(name, size):
    module, c = IMAGE_TO_IMAGE[name]
    out = output_shapes(module, (2, *size, c))
    outs = out if name.startswith("ngr") else (out,)
    assert len(outs) == (3 if name.startswith("ngr") else 1)  # NGR: (F_h, F_w, F_c)
    for o in outs:
        assert o == (2, *size, 3)


# over 20 s from a cold cache on 2 cores (20.7–32 s, Intel Xeon): in the slow set
@pytest.mark.slow
def test_small_networks_run_for_real_at_odd_sizes():
    z = nets.uniform_noise(KEY, 4, (37, 53), batch=2)
    net = nets.Skip.uniform(2, 8, 8, 2)
    y = jax.jit(lambda z: net.init_with_output(FAST_KEY, z)[0])(z)
    assert y.shape == (2, 37, 53, 3) and bool(jnp.all((y > 0) & (y < 1)))
    ngr = nets.NGRNet(backbone="convblocks", width=2)
    fh, fw, fc = jax.jit(lambda z: ngr.init_with_output(FAST_KEY, z)[0])(z[..., :3])
    assert fh.shape == fw.shape == fc.shape == (2, 37, 53, 3)
    assert float(jnp.min(fh)) < 0 < float(jnp.max(fh))  # no sigmoid: signed gradients
    assert not np.allclose(np.asarray(fh), np.asarray(fw))  # independently initialised


def test_deep_decoder_and_critic_output_shapes():
    assert output_shapes(nets.DeepDecoder(), (1, 3, 5, 128)) == (1, 96, 160, 3)
    assert nets.DeepDecoder().upsampling_factor() == 32
    assert output_shapes(nets.CriticCNN15(), (4, 15, 15, 3)) == (4, 1, 1)
    assert output_shapes(nets.CriticCNN15(), (4, 13, 13, 3)) == (4, 1, 1)  # the code's true receptive field
    h, w = 64, 50
    assert output_shapes(nets.CriticCNN15(), (2, h, w, 3)) == (2, (h - 7) // 3 - 1, (w - 7) // 3 - 1)
    assert nets.CriticCNN15().receptive_field() == 13
    assert nets.CriticCNN15("paper").receptive_field() == 13  # six 3×3 layers (the paper says 15)
    assert output_shapes(nets.CriticCNN15("paper"), (1, 15, 15, 3)) == (1, 3, 3)
    seven = nets.CriticCNN15("paper", features=(128, 64, 64, 64, 32, 32, 32))
    assert seven.receptive_field() == 15 and output_shapes(seven, (1, 15, 15, 3)) == (1, 1, 1)


# ================================================================================================
# 3. Layers against independent references
# ================================================================================================
def test_batchnorm_uses_the_statistics_of_the_current_input():
    bn = layers.BatchNorm()
    x1 = jax.random.normal(KEY, (2, 9, 11, 5)) * 3.0 + 7.0
    x2 = jax.random.uniform(jax.random.key(1), (1, 4, 6, 5)) - 20.0
    variables = bn.init(KEY, x1)
    assert list(variables) == ["params"]  # no batch_stats collection: nothing to carry between calls
    apply = jax.jit(bn.apply)
    eps = np.finfo(np.float32).eps
    for x in (x1, x2, x1):
        y = np.asarray(apply(variables, x), np.float64)
        a = np.asarray(x, np.float64)
        ref = (a - a.mean((0, 1, 2))) / np.sqrt(a.var((0, 1, 2)) + 1e-5)  # biased variance, eps 1e-5
        # float32 error bound of (x − mean)/std: the mean of n entries of magnitude M is off by at most
        # ~(log2 n + 2)·eps·M (tree summation, then the subtraction), amplified by 1/std; ×2 for the variance.
        n = a.size // a.shape[-1]
        bound = 2 * (np.log2(n) + 2) * eps * np.abs(a).max() / a.std((0, 1, 2)).min()
        np.testing.assert_allclose(y, ref, atol=bound)
        np.testing.assert_allclose(y.mean((0, 1, 2)), 0.0, atol=bound)
        np.testing.assert_allclose(y.var((0, 1, 2)), 1.0, rtol=1e-3)


def test_batchnorm_gradient_matches_autodiff_of_the_formula():
    def plain(x, s, b):
        m = jnp.mean(x, (0, 1, 2))
        v = jnp.mean((x - m) ** 2, (0, 1, 2))
        return (x - m) / jnp.sqrt(v + 1e-5) * s + b

    x = jax.random.normal(KEY, (2, 5, 7, 6)) * 3 + 2
    s, b = jax.random.normal(jax.random.key(1), (6,)), jax.random.normal(jax.random.key(2), (6,))
    w = jax.random.normal(jax.random.key(3), x.shape)
    ours = jax.jit(jax.grad(lambda *a: jnp.sum(jnp.tanh(layers.batch_norm(*a)) * w), (0, 1, 2)))(x, s, b)
    ref = jax.jit(jax.grad(lambda *a: jnp.sum(jnp.tanh(plain(*a)) * w), (0, 1, 2)))(x, s, b)
    for g, r in zip(ours, ref):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 5, 7, 3), (1, 1, 4, 2), (1, 6, 1, 1)])
def test_bilinear_upsampling_equals_jax_image_resize(shape):
    x = jax.random.normal(KEY, shape)
    n, h, w, c = shape
    ref = jax.image.resize(x, (n, 2 * h, 2 * w, c), "bilinear")  # half-pixel centres
    bilinear, nearest = jax.jit(lambda x: (layers.upsample2x(x, "bilinear"), layers.upsample2x(x, "nearest")))(x)
    np.testing.assert_allclose(bilinear, ref, atol=1e-6)
    np.testing.assert_array_equal(nearest, np.repeat(np.repeat(np.asarray(x), 2, axis=1), 2, axis=2))


def test_crop_concat_centre_crops_skip_first():
    a = jnp.arange(1 * 5 * 6 * 1, dtype=jnp.float32).reshape(1, 5, 6, 1)
    b = jnp.ones((1, 8, 7, 2))
    y = layers.crop_concat([a, b])
    assert y.shape == (1, 5, 6, 3)
    np.testing.assert_array_equal(y[..., 0], a[..., 0])
    y2 = layers.crop_concat([b, a])
    assert y2.shape == (1, 5, 6, 3)
    np.testing.assert_array_equal(y2[..., 2], a[..., 0])  # b cropped at offset ((8-5)//2, (7-6)//2) = (1, 0)


def _direct(x, k, stride, pad):
    p = (k.shape[0] - 1) // 2 if pad != "valid" else 0
    if pad == "reflection":
        x = jnp.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")
        p = 0
    return lax.conv_general_dilated(x, k, (stride, stride), ((p, p), (p, p)),
                                    dimension_numbers=("NHWC", "HWIO", "NHWC"))


@pytest.mark.parametrize("algorithm, pad", [("winograd", "reflection"), ("winograd", "zero"),
                                            ("winograd4", "reflection")])
def test_winograd_convolution_and_its_gradients_equal_direct_convolution(algorithm, pad):
    x = jax.random.normal(KEY, (2, 13, 10, 5))
    k = jax.random.uniform(jax.random.key(1), (3, 3, 5, 4), minval=-0.3, maxval=0.3)
    ref = _direct(x, k, 1, pad)
    y = jax.jit(lambda x, k: conv2d(x, k, pad=pad, algorithm=algorithm))(x, k)
    assert y.shape == ref.shape
    # float32 error bound, elementwise: a K-term dot product is off by ~sqrt(K)·eps·Σ|x||k| (the direct
    # convolution of |x| and |k|); Winograd's transforms multiply that by their growth factor — entries ≤ 1 in
    # F(2,3)'s matrices (×16 allowed), up to 8 in F(4,3)'s (×256 allowed); the gradients sum over the batch
    # and the output too (×4).
    eps = np.finfo(np.float32).eps
    growth = 16 if algorithm == "winograd" else 256
    scale = np.sqrt(k.shape[0] * k.shape[1] * k.shape[2]) * eps
    bound = growth * scale * np.asarray(_direct(jnp.abs(x), jnp.abs(k), 1, pad))
    np.testing.assert_array_less(np.abs(np.asarray(y) - np.asarray(ref)), bound + 1e-30)
    w = jax.random.normal(jax.random.key(2), ref.shape)
    g = jax.jit(jax.grad(lambda x, k: jnp.sum(conv2d(x, k, pad=pad, algorithm=algorithm) * w), (0, 1)))(x, k)
    gr = jax.jit(jax.grad(lambda x, k: jnp.sum(_direct(x, k, 1, pad) * w), (0, 1)))(x, k)
    # the gradients' own magnitude scale: the same products with |·|
    gabs = jax.grad(lambda x, k: jnp.sum(_direct(x, k, 1, pad) * jnp.abs(w)), (0, 1))(jnp.abs(x), jnp.abs(k))
    for a, b, m in zip(g, gr, gabs):
        n_terms = b.size and (x.shape[0] * ref.shape[1] * ref.shape[2] if b.shape == k.shape else 9 * k.shape[3])
        np.testing.assert_array_less(np.abs(np.asarray(a) - np.asarray(b)),
                                     4 * growth * np.sqrt(n_terms) * eps * np.asarray(m) + 1e-30)


@pytest.mark.parametrize("k, stride", [(1, 1), (1, 2), (3, 2)])
def test_other_convolutions_equal_direct_convolution(k, stride):
    x = jax.random.normal(KEY, (1, 11, 9, 3))
    kern = jax.random.normal(jax.random.key(1), (k, k, 3, 6))
    for pad in ("reflection", "zero"):
        y = jax.jit(lambda x, k: conv2d(x, k, stride=stride, pad=pad))(x, kern)
        np.testing.assert_allclose(y, _direct(x, kern, stride, pad), rtol=1e-5, atol=1e-5)
    assert conv2d(x, kern, stride=stride, pad="zero").shape[1:3] == (math.ceil(11 / stride), math.ceil(9 / stride))


@pytest.mark.parametrize("k, stride", [(3, 1), (3, 2), (5, 1), (1, 2)])
def test_hand_written_convolution_backward_equals_autodiff(k, stride):
    x = jax.random.normal(KEY, (2, 11, 9, 3))
    kern = jax.random.normal(jax.random.key(1), (k, k, 3, 4))
    for pad in ("reflection", "zero"):
        xp = conv_mod.pad_spatial(x, (k - 1) // 2, pad)
        y = conv_mod.valid_conv(xp, kern, stride)
        w = jax.random.normal(jax.random.key(2), y.shape)
        g = jax.jit(jax.grad(lambda x, k: jnp.sum(conv_mod.valid_conv(x, k, stride) * w), (0, 1)))(xp, kern)
        gr = jax.jit(jax.grad(lambda x, k: jnp.sum(_direct(x, k, stride, "valid") * w), (0, 1)))(xp, kern)
        for a, b in zip(g, gr):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4 * float(jnp.abs(b).max()))


def test_convolution_gradient_is_not_slow_inside_a_loop():
    # jax-ml/jax#12868: XLA:CPU's weight gradient of conv_general_dilated inside lax loops is ~40x slower than
    # outside; the hand-written backward pass keeps the loop within a small factor of the plain jit call
    x = jax.random.normal(KEY, (1, 32, 32, 64))
    kern = jax.random.normal(jax.random.key(1), (3, 3, 64, 64)) * 0.05

    def step(kern):
        return kern - 1e-3 * jax.grad(lambda k: jnp.sum(jnp.square(conv2d(x, k, stride=2, pad="reflection",
                                                                           algorithm="auto"))))(kern)

    once = jax.jit(step)
    looped = jax.jit(lambda k: lax.fori_loop(0, 20, lambda i, k: step(k), k))
    jax.block_until_ready((once(kern), looped(kern)))
    t0 = time.perf_counter()
    for _ in range(20):
        out = once(kern)
    jax.block_until_ready(out)
    t_once = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(looped(kern))
    t_loop = time.perf_counter() - t0
    assert t_loop < 4 * t_once + 0.05, (t_loop, t_once)


# ================================================================================================
# 4. Initialisation
# ================================================================================================
def test_torch_init_is_uniform_within_one_over_sqrt_fan_in():
    p = jit_init(layers.Conv2d(64, 3), jnp.zeros((1, 8, 8, 96)))["params"]
    bound = 1 / math.sqrt(3 * 3 * 96)
    k, b = np.asarray(p["kernel"]).ravel(), np.asarray(p["bias"])
    assert k.size == 55_296
    assert np.abs(k).max() <= bound and np.abs(k).max() > 0.999 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.8 * bound  # bias bound uses the kernel's fan-in
    assert scipy.stats.kstest(k, scipy.stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3
    assert scipy.stats.kstest(k, scipy.stats.norm(0, bound / math.sqrt(3)).cdf).pvalue < 1e-6  # not normal


def test_flax_init_is_lecun_normal_with_zero_bias():
    p = jit_init(layers.Conv2d(64, 3, weight_init="flax"), jnp.zeros((1, 8, 8, 96)))["params"]
    k = np.asarray(p["kernel"]).ravel()
    assert np.all(np.asarray(p["bias"]) == 0)
    np.testing.assert_allclose(k.std(), 1 / math.sqrt(3 * 3 * 96), rtol=0.02)  # variance 1/fan_in
    assert np.abs(k).max() > 1.5 / math.sqrt(3 * 3 * 96)  # not the torch uniform


def test_networks_pass_the_init_scheme_down():
    torch_p = init_shapes(nets.DRPNet(), (1, 16, 16, 3))
    assert torch_p["net"]["scale0_up"]["conv"]["bias"].shape == (64,)
    p = jit_init(nets.DRPNet(), jnp.zeros((1, 16, 16, 3)))["params"]
    bound = 1 / math.sqrt(3 * 3 * (4 + 64))
    up = np.asarray(p["net"]["scale0_up"]["conv"]["kernel"])
    assert np.abs(up).max() <= bound and np.abs(np.asarray(p["net"]["scale0_up"]["conv"]["bias"])).max() > 0
    np.testing.assert_array_equal(p["input_bn"]["scale"], 1.0)
    pf = jit_init(nets.DRPNet(weight_init="flax"), jnp.zeros((1, 16, 16, 3)))["params"]
    assert np.all(np.asarray(pf["net"]["scale0_up"]["conv"]["bias"]) == 0)


# ================================================================================================
# 5. Network inputs
# ================================================================================================
def test_noise_inputs_shapes_ranges_and_keys():
    u = nets.uniform_noise(KEY, 32, (40, 30))
    assert u.shape == (1, 40, 30, 32) and u.dtype == jnp.float32
    assert 0.0 <= float(u.min()) and float(u.max()) < 0.1 and abs(float(u.mean()) - 0.05) < 0.002
    np.testing.assert_array_equal(u, nets.uniform_noise(KEY, 32, (40, 30)))
    assert not np.array_equal(u, nets.uniform_noise(jax.random.key(1), 32, (40, 30)))
    n = nets.normal_noise(KEY, 3, (64, 64), scale=0.1, batch=2)
    assert n.shape == (2, 64, 64, 3)
    assert abs(float(n.mean())) < 0.002 and abs(float(n.std()) - 0.1) < 0.002


def test_meshgrid_values():
    g = np.asarray(nets.meshgrid((4, 5)))
    assert g.shape == (1, 4, 5, 2)
    np.testing.assert_allclose(g[0, :, :, 0], np.tile(np.arange(5) / 4, (4, 1)))           # X = col/(W-1)
    np.testing.assert_allclose(g[0, :, :, 1], np.tile((np.arange(4) / 3)[:, None], (1, 5)))  # Y = row/(H-1)


@pytest.mark.parametrize("call, match", [
    (lambda: nets.uniform_noise(KEY, 3, (0, 5)), "size"),
    (lambda: nets.uniform_noise(KEY, 0, (5, 5)), "channels"),
    (lambda: nets.normal_noise(KEY, 3, 5), "size"),
    (lambda: nets.uniform_noise(3, 3, (5, 5)), "key"),
    (lambda: nets.meshgrid((1, 5)), "at least 2"),
])
def test_inputs_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ================================================================================================
# 6. Dropout (Anderson): needs a key, changes outputs only when p_keep < 1
# ================================================================================================
@pytest.mark.slow  # 19.1 s in a default run on 2 cores (2026-12-02)
def test_autoencoder_dropout():
    z = nets.uniform_noise(KEY, 4, (16, 16))
    kw = dict(channels_down=(8, 8), channels_up=(8, 8))
    drop = nets.Autoencoder(channels_skip=(0, 0), p_keep=0.5, **kw)
    plain = nets.Autoencoder(channels_skip=(0, 0), **kw)
    params = jit_init(drop, z)  # no dropout key needed to initialise
    assert "skip" not in str(jax.tree_util.tree_structure(params))
    with pytest.raises(ValueError, match="dropout key"):
        jax.eval_shape(drop.apply, params, z)

    @jax.jit
    def run(params, key):
        return (plain.apply(params, z), drop.apply(params, z, deterministic=True),
                plain.apply(params, z, rngs={"dropout": key}), drop.apply(params, z, rngs={"dropout": key}))

    y0, y_det, y_plain_key, y1 = run(params, jax.random.key(1))
    np.testing.assert_array_equal(y_det, y0)
    np.testing.assert_array_equal(y_plain_key, y0)  # p_keep = 1: a key changes nothing
    y2 = run(params, jax.random.key(2))[3]
    assert not np.allclose(y1, y0) and not np.allclose(y1, y2)
    np.testing.assert_array_equal(y1, run(params, jax.random.key(1))[3])


def test_dropout_keeps_the_expected_fraction():
    x = jnp.ones((1, 100, 100, 4))
    y = np.asarray(layers.dropout(KEY, x, 0.7))
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)


# ================================================================================================
# 7. Input validation: ValueError naming the problem, before any compilation
# ================================================================================================
@pytest.mark.parametrize("module, shape, dtype, match", [
    (nets.Skip(), (64, 64, 32), jnp.float32, "rank 4"),
    (nets.Skip(), (1, 64, 64, 32), jnp.int32, "floating point"),
    (nets.Skip(in_channels=32), (1, 64, 64, 3), jnp.float32, "3 channels, the network expects 32"),
    (nets.Skip(), (1, 32, 32, 32), jnp.float32, "too small"),
    (nets.DeepDecoder(), (1, 4, 4, 3), jnp.float32, "expects 128"),
    (nets.CriticCNN15(), (1, 15, 15, 1), jnp.float32, "expects 3"),
    (nets.CriticCNN15(), (1, 12, 30, 3), jnp.float32, "smaller than"),
    (nets.NGRNet(), (1, 64, 64), jnp.float32, "rank 4"),
    (nets.DRPNet(), (1, 64, 64, 3), jnp.uint8, "floating point"),
])
def test_bad_inputs_raise_value_error(module, shape, dtype, match):
    with pytest.raises(ValueError, match=match):  # raised while tracing: nothing is compiled
        jax.eval_shape(module.init, KEY, jnp.zeros(shape, dtype))


def test_parameters_for_other_channels_are_rejected():
    net = small_skip()
    params = jax.eval_shape(net.init, KEY, jnp.zeros((1, 16, 16, 4)))
    with pytest.raises(ValueError, match="input has 5 channels, the parameters were initialised for 4"):
        jax.eval_shape(net.apply, params, jnp.zeros((1, 16, 16, 5)))


@pytest.mark.parametrize("make, match", [
    (lambda: nets.Skip(channels_down=(8, 8), channels_up=(8,), channels_skip=(4, 4)), "same length"),
    (lambda: nets.Skip(upsample_mode="bicubic"), "upsample_mode"),
    (lambda: nets.Skip(pad="replicate"), "pad"),
    (lambda: nets.Skip(act="tanh"), "act"),
    (lambda: nets.Skip(weight_init="xavier"), "init"),
    (lambda: nets.Skip(filter_size_up=2), "odd"),
    (lambda: nets.Skip(conv_algorithm="fft"), "conv_algorithm"),
    (lambda: nets.Autoencoder(p_keep=0.0), "p_keep"),
    (lambda: nets.DRPNet("deblur"), "preset"),
    (lambda: nets.NGRNet(backbone="vit"), "backbone"),
    (lambda: nets.CriticCNN15("large"), "variant"),
    (lambda: nets.CriticCNN15(features=(8,)), "features"),
])
def test_bad_configurations_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ================================================================================================
# 8. Against PyTorch replicas of the official networks (benchmarks/_torch_skip.py), when torch is present
# ================================================================================================
@pytest.fixture(scope="module")
def replica():
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 for these checks)")
    sys.path.insert(0, str(BENCH))
    try:
        import _torch_skip
    finally:
        sys.path.remove(str(BENCH))
    return _torch_skip


@pytest.fixture(scope="module")
def default_skip_params():
    """Parameters of the default skip net for a 32-channel input (shared: the upsampling mode has none)."""
    return jit_init(nets.Skip(), jnp.zeros((1, 64, 64, 32)))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_skip_forward_equals_the_pytorch_replica(replica, default_skip_params, mode):
    net = nets.Skip(upsample_mode=mode)
    z = nets.uniform_noise(jax.random.key(1), 32, (64, 64))
    variables = default_skip_params
    y = jax.jit(net.apply)(variables, z)
    model, named = replica.skip_replica(upsample_mode=mode)
    replica.copy_flax_params(variables["params"], named)
    ref = replica.to_numpy(model(replica.to_torch(z)))
    assert y.shape == ref.shape == (1, 64, 64, 3)
    np.testing.assert_allclose(y, ref, atol=1e-4)  # measured 7.5e-6 (bilinear), 1.1e-5 (nearest)


def test_skip_gradients_equal_the_pytorch_replica(replica):
    import torch

    net = nets.Skip.uniform(2, 16, 16, 4)
    z = nets.uniform_noise(jax.random.key(1), 8, (21, 27))  # odd sizes: crops and padding in the backward too
    target = jax.random.uniform(jax.random.key(2), (1, 21, 27, 3))
    params = jit_init(net, z)["params"]
    grads = jax.jit(jax.grad(lambda p: jnp.mean((net.apply({"params": p}, z) - target) ** 2)))(params)
    model, named = replica.skip_replica(8, 3, (16, 16), (16, 16), (4, 4))
    replica.copy_flax_params(params, named)
    torch.mean((model(replica.to_torch(z)) - replica.to_torch(target)) ** 2).backward()
    for path, layer in named.items():
        g = grads
        for part in path.split("/"):
            g = g[part]
        w = layer.weight.grad.numpy()
        ours = np.asarray(g["kernel"]).transpose(3, 2, 0, 1) if w.ndim == 4 else np.asarray(g["scale"])
        np.testing.assert_allclose(ours, w, atol=1e-4 * np.abs(w).max() + 1e-9, err_msg=path)


def test_drp_forward_equals_the_pytorch_replica(replica):
    net = nets.DRPNet()
    z = nets.normal_noise(jax.random.key(1), 3, (48, 40))
    variables = jit_init(net, z)
    model, named = replica.drp_replica()
    replica.copy_flax_params(variables["params"], named)
    ref = replica.to_numpy(model(replica.to_torch(z)))
    np.testing.assert_allclose(jax.jit(net.apply)(variables, z), ref, atol=1e-4)  # measured 5.4e-7


def test_critic_forward_equals_the_pytorch_replica(replica):
    net = nets.CriticCNN15()
    x = jax.random.uniform(jax.random.key(1), (2, 31, 25, 3))
    variables = jit_init(net, x)
    model, named = replica.critic_replica()
    replica.copy_flax_params(variables["params"], named)
    ref = replica.to_numpy(model(replica.to_torch(x)))
    assert ref.shape == (2, 7, 5)
    np.testing.assert_allclose(jax.jit(net.apply)(variables, x), ref, atol=1e-5)  # measured 5e-9


def test_bilinear_upsampling_equals_torch_interpolate(replica):
    import torch

    x = jax.random.normal(KEY, (2, 5, 7, 3))
    ref = torch.nn.functional.interpolate(replica.to_torch(x), scale_factor=2, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(layers.upsample2x(x, "bilinear"), replica.to_numpy(ref), atol=1e-6)
