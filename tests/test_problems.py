"""Problems: forward models, gradients, and the errors raised for bad input (before any compilation)."""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from jaxreg import operators as ops
from jaxreg import problems

Y = np.random.default_rng(0).uniform(size=(16, 16, 3)).astype(np.float32)


def _all_problems():
    key = jax.random.key(0)
    mask = np.ones((16, 16), np.float32)
    mask[::2] = 0
    cs = ops.SubsampledHadamard.from_compression(Y.shape, 4.0)
    rb = ops.RandomBinary(key, Y.shape, 64)
    return {
        "denoise": problems.Denoise(Y, sigma=0.1),
        "jpeg": problems.JPEGArtifacts(Y, quality=10),
        "smooth": problems.Smooth(Y),
        "inpaint": problems.Inpaint(Y, mask),
        "deblur": problems.Deblur(Y, np.ones((3, 3)) / 9),
        "deblur-replicate": problems.Deblur(Y, np.ones((3, 3)) / 9, boundary="replicate"),
        "cs-hadamard": problems.CompressiveSensing(cs(jnp.asarray(Y)), cs),
        "cs-random": problems.CompressiveSensing(rb(jnp.asarray(Y)), rb),
    }


@pytest.mark.parametrize("name", list(_all_problems()))
def test_data_grad_is_gradient_of_fidelity_and_problem_is_a_pytree(name):
    p = _all_problems()[name]
    x = jax.random.uniform(jax.random.key(1), p.image_shape)
    np.testing.assert_allclose(p.data_grad(x), jax.grad(p.data_fidelity)(x), rtol=1e-4, atol=1e-4)
    leaves, treedef = jax.tree_util.tree_flatten(p)
    q = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(q) is type(p)
    np.testing.assert_allclose(jax.jit(lambda q: q.data_fidelity(x))(q), p.data_fidelity(x), rtol=1e-5)


def test_inpaint_initial_image_zeroes_missing_pixels():
    mask = np.zeros((16, 16, 1), np.float32)
    mask[4:8] = 1
    p = problems.Inpaint(Y, mask)
    assert float(jnp.abs(p.initial_image()[:4]).max()) == 0.0
    assert p.mask.shape == (16, 16, 1)


# --- bad input: ValueError naming the problem ---------------------------------------------------
BAD = [
    ("nan", lambda: problems.Denoise(np.where(Y > 0.5, np.nan, Y)), "non-finite.*NaN"),
    ("inf", lambda: problems.Smooth(np.where(Y > 0.5, np.inf, Y)), "non-finite.*Inf"),
    ("rank", lambda: problems.Denoise(Y[..., 0]), "rank 3 or 4"),
    ("dtype", lambda: problems.Denoise((Y * 255).astype(np.uint8)), "floating-point.*uint8"),
    ("mask shape", lambda: problems.Inpaint(Y, np.ones((17, 16))), "mask shape .* does not match"),
    ("mask empty", lambda: problems.Inpaint(Y, np.zeros((16, 16))), "no observed pixel"),
    ("mask values", lambda: problems.Inpaint(Y, np.full((16, 16), 0.5)), "only 0 and 1"),
    ("negative sigma", lambda: problems.Denoise(Y, sigma=-0.1), "sigma must be non-negative"),
    ("kernel too large", lambda: problems.Deblur(Y, np.ones((17, 3)) / 51), "larger than the image"),
    ("kernel sum", lambda: problems.Deblur(Y, np.array([[1.0, -1.0]])), "positive sum"),
    ("kernel rank", lambda: problems.Deblur(Y, np.ones(3)), "must be 2-D"),
    ("kernel nan", lambda: problems.Deblur(Y, np.full((3, 3), np.nan)), "non-finite"),
    ("boundary", lambda: problems.Deblur(Y, np.ones((3, 3)), boundary="wrap"), "boundary must be"),
    ("jpeg quality", lambda: problems.JPEGArtifacts(Y, quality=0), "quality must be in"),
    ("cs shape", lambda: problems.CompressiveSensing(np.zeros((10, 3), np.float32),
                                                     ops.SubsampledHadamard.from_compression(Y.shape, 4.0)),
     "operator produces"),
    ("hadamard size", lambda: ops.SubsampledHadamard.from_compression((12, 16, 3), 2.0), "powers of two"),
]


@pytest.mark.parametrize("make,match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_value_error_before_compiling(make, match, monkeypatch):
    def no_compile(*a, **k):
        raise AssertionError("compiled before validating")
    monkeypatch.setattr(jax, "jit", no_compile)
    with pytest.raises(ValueError, match=match):
        make()
