"""jaxreg.sweep: same images as separate solves, one compilation, sharding over devices."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import jax
import jax.numpy as jnp

import jaxreg
from jaxreg import _driver, methods, problems
from jaxreg.operators import solve_normal
from helpers import Relax, TRACES

KEY = jax.random.key(0)
GRID = {"lam": [0.02, 0.05, 0.1, 0.2, 0.5, 1.0], "tol": [1e-4, 1e-6]}  # 6 × 2 = 12 points


def synthetic_problem():
    """A smooth random image with noise (deterministic; also rebuilt in the sharded subprocess)."""
    x = jax.random.uniform(jax.random.key(7), (32, 32, 3))
    x = solve_normal(problems.normal_operator(problems.Denoise(x), diff_weights={0: 2.0, 1: 2.0}), x)
    y = x + 0.1 * jax.random.normal(jax.random.key(8), x.shape)
    return problems.Denoise(y), x


@pytest.fixture(scope="module")
def swept():
    p, x = synthetic_problem()
    before = _driver.trace_count["compiles"]
    s = jaxreg.sweep(p, methods.get("tikhonov"), GRID, key=KEY, num_iters=60, reference=x)
    return p, x, s, _driver.trace_count["compiles"] - before


def test_sweep_equals_separate_solves(swept):
    p, x, s, _ = swept
    assert s.images.shape == (12, 32, 32, 3)
    assert s.params["lam"].shape == (12,)
    np.testing.assert_allclose(s.params["lam"][:2], [0.02, 0.02])  # product: last name fastest
    np.testing.assert_allclose(s.params["tol"][:2], [1e-4, 1e-6])
    for i in range(12):
        m = methods.get("tikhonov", lam=float(s.params["lam"][i]), tol=float(s.params["tol"][i]))
        r = jaxreg.solve(p, m, key=KEY, num_iters=60, reference=x)
        np.testing.assert_allclose(s.images[i], r.image, atol=1e-5, rtol=1e-5)
        assert int(s.num_iters[i]) == r.num_iters and int(s.status[i]) == int(r.status)
        np.testing.assert_allclose(s.history["psnr"][i, :r.num_iters], r.history["psnr"], atol=1e-4)
        assert np.all(np.isnan(s.history["psnr"][i, r.num_iters:]))


def test_sweep_compiles_once(swept):
    assert swept[3] == 2  # one executable for init, one for the chunk: the whole grid in one call
    p, x = synthetic_problem()
    TRACES["step"] = 0
    s = jaxreg.sweep(p, Relax(), {"lr": np.linspace(0.1, 0.9, 12)}, key=KEY, num_iters=8, chunk_size=4)
    assert TRACES["step"] == 1
    assert s.timings["compile_s"] > 0 and s.timings["run_s"] > 0
    for i, lr in enumerate(np.linspace(0.1, 0.9, 12)):
        np.testing.assert_allclose(s.images[i], p.y * (1 - (1 - lr) ** 8), rtol=1e-4, atol=1e-6)


def test_best_picks_the_highest_final_psnr(swept):
    _, x, s, _ = swept
    finals = [float(jaxreg.metrics.psnr(s.images[i], x, data_range=1.0)) for i in range(12)]
    b = s.best("psnr")
    assert b.index == int(np.argmax(finals))
    assert b.value == pytest.approx(max(finals), abs=1e-3)
    assert b.params["lam"] == pytest.approx(float(s.params["lam"][b.index]))
    o = s.best("objective")
    assert o.index == int(np.nanargmin(s.scores("objective")))
    with pytest.raises(ValueError, match="no metric 'lpips'"):
        s.best("lpips")


def test_zip_seeds_and_images_axes():
    p, x = synthetic_problem()
    q = problems.Denoise(p.y[::-1])
    s = jaxreg.sweep([p, q], Relax(), {"lr": [0.2, 0.4, 0.6]}, key=KEY, num_iters=3, mode="zip", num_seeds=2,
                     reference=[x, x[::-1]])
    assert s.images.shape == (3, 2, 2, 32, 32, 3)
    assert s.history["psnr"].shape == (3, 2, 2, 3)
    np.testing.assert_allclose(s.images[1, 0, 1], q.y * (1 - 0.6 ** 3), rtol=1e-5, atol=1e-6)
    assert s.best("psnr").image.shape == (32, 32, 3)


@pytest.mark.parametrize("grid,kwargs,match", [
    ({"nope": [1.0]}, {}, "'nope' is not a hyperparameter"),
    ({"axes": [1.0]}, {}, "'axes' is not a hyperparameter"),
    ({"lam": [[1.0]]}, {}, "1-D"),
    ({"lam": [1.0, 2.0], "tol": [0.1]}, {"mode": "zip"}, "one length"),
    ({"lam": [1.0]}, {"mode": "outer"}, "mode must be"),
    ({"lam": [np.nan]}, {}, "non-finite"),
    ({}, {}, "non-empty"),
])
def test_sweep_errors(grid, kwargs, match):
    p, _ = synthetic_problem()
    with pytest.raises(ValueError, match=match):
        jaxreg.sweep(p, methods.get("tikhonov"), grid, key=KEY, num_iters=2, **kwargs)


SHARDED_SCRIPT = r"""
import json, sys
import numpy as np, jax
sys.path.insert(0, sys.argv[1])
import jaxreg
from jaxreg import methods
from test_sweep import synthetic_problem, GRID, KEY
p, x = synthetic_problem()
s = jaxreg.sweep(p, methods.get("tikhonov"), GRID, key=KEY, num_iters=60, reference=x)
z = jaxreg.sweep(p, methods.get("tikhonov"), {"lam": np.linspace(0.05, 1.0, 10)}, key=KEY, num_iters=60)
np.save(sys.argv[2], np.asarray(s.images)); np.save(sys.argv[3], np.asarray(z.images))
print(json.dumps({"devices": jax.local_device_count(),
                  "shards": len(s.state["x"].sharding.device_set)}))
"""


@pytest.mark.slow  # 16–21 s (a subprocess compiling for 4 devices); the default run splits a grid over 2 processes
def test_sweep_sharded_over_four_host_devices(swept, tmp_path):
    p, x, s, _ = swept
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    tests_dir = str(Path(__file__).resolve().parent)
    out = subprocess.run([sys.executable, "-c", SHARDED_SCRIPT, tests_dir, str(tmp_path / "a.npy"),
                          str(tmp_path / "b.npy")], env=env, capture_output=True, text=True, timeout=300,
                         cwd=str(Path(tests_dir).parent))
    assert out.returncode == 0, out.stderr[-3000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info == {"devices": 4, "shards": 4}
    np.testing.assert_allclose(np.load(tmp_path / "a.npy"), s.images, atol=1e-5, rtol=1e-5)
    z = jaxreg.sweep(p, methods.get("tikhonov"), {"lam": np.linspace(0.05, 1.0, 10)}, key=KEY, num_iters=60)
    np.testing.assert_allclose(np.load(tmp_path / "b.npy"), z.images, atol=1e-5, rtol=1e-5)


def test_images_use_each_grid_points_hyperparameters():
    p, _ = synthetic_problem()
    s = jaxreg.sweep(p, Relax(lr=1.0), {"out_scale": [1.0, 2.0, 3.0]}, key=KEY, num_iters=1, num_seeds=2)
    for i, scale in enumerate([1.0, 2.0, 3.0]):
        np.testing.assert_allclose(s.images[i, 1], scale * p.y, rtol=1e-6)


def test_grid_values_and_references_are_validated_eagerly():
    p, x = synthetic_problem()
    with pytest.raises(ValueError, match="lam must be non-negative"):
        jaxreg.sweep(p, methods.get("tikhonov"), {"lam": [-1.0, 1.0]}, key=KEY, num_iters=2)
    with pytest.raises(ValueError, match="one image per problem"):
        jaxreg.sweep([p], methods.get("tikhonov"), {"lam": [1.0]}, key=KEY, num_iters=2, reference=x)


def test_integer_grid_values_become_floats_and_noise_level_is_a_leaf():
    p, x = synthetic_problem()
    s = jaxreg.sweep(p, Relax(), {"lr": [0, 1]}, key=KEY, num_iters=1)
    np.testing.assert_allclose(s.images[1], p.y, rtol=1e-6)
    a = problems.Denoise(p.y, sigma=0.1)
    b = problems.Denoise(p.y, sigma=0.2)
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    s = jaxreg.sweep([a, b], Relax(), {"lr": [0.5]}, key=KEY, num_iters=1)
    assert s.images.shape == (1, 2, 32, 32, 3)
