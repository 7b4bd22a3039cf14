"""Every linear operator passes the adjoint test; the fast normal-equation solvers equal dense solves."""

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from jaxreg import operators as ops
from jaxreg import problems


def _all_operator_classes(cls=ops.LinearOperator):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_operator_classes(sub)


OPERATORS = sorted(set(_all_operator_classes()), key=lambda c: c.__name__)


def test_every_operator_is_collected():
    names = {c.__name__ for c in OPERATORS}
    assert {"FiniteDifference", "Gradient", "CircularConvolution", "SameConvolution", "Mask",
            "SubsampledHadamard", "RandomBinary", "Identity", "FunctionOperator", "Decimation"} <= names


@pytest.mark.parametrize("cls", OPERATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("seed", [0, 1])
def test_adjoint(cls, seed):
    assert "example" in cls.__dict__, f"operator {cls.__name__} must define an `example` classmethod"
    op = cls.example(jax.random.key(seed))
    passed, err = ops.check_adjoint(op, jax.random.key(100 + seed), rtol=1e-4)
    assert passed, f"{cls.__name__}: relative adjoint error {err:.2e}"


def test_check_adjoint_detects_a_wrong_adjoint():
    class Wrong(ops.FiniteDifference):
        def adjoint(self, y):
            return -y
    op = Wrong((8, 8, 3), axis=0)
    passed, err = ops.check_adjoint(op, jax.random.key(0))
    assert not passed and err > 1e-2


def test_automatic_adjoint_matches_explicit():
    op = ops.FiniteDifference((6, 7, 2), axis=1, circular=False)
    auto = ops.linear_adjoint(op.apply, op.in_shape)
    y = jax.random.normal(jax.random.key(0), op.in_shape)
    np.testing.assert_allclose(auto(y), op.adjoint(y), atol=1e-6)


def test_difference_values():
    x = jnp.arange(4.0).reshape(4, 1, 1) ** 2  # 0 1 4 9
    np.testing.assert_allclose(ops.difference(x, 0).ravel(), [1, 3, 5, -9])
    np.testing.assert_allclose(ops.difference(x, 0, circular=False).ravel(), [1, 3, 5, 0])


def test_circular_and_same_convolution_agree_inside_and_centre_delta_is_identity():
    x = jax.random.uniform(jax.random.key(0), (16, 16, 2))
    k = jax.random.uniform(jax.random.key(1), (3, 5))
    a = ops.CircularConvolution(k, x.shape)(x)
    b = ops.SameConvolution(k, x.shape)(x)
    np.testing.assert_allclose(a[2:-2, 3:-3], b[2:-2, 3:-3], atol=1e-5)
    delta = jnp.zeros((3, 5)).at[1, 2].set(1.0)
    np.testing.assert_allclose(ops.CircularConvolution(delta, x.shape)(x), x, atol=1e-6)
    np.testing.assert_allclose(ops.SameConvolution(delta, x.shape)(x), x, atol=1e-6)


@pytest.mark.parametrize("shape", [(9, 6), (25, 25)])
def test_large_kernels_go_through_the_fft_and_equal_the_direct_replicate_convolution(shape, monkeypatch):
    from jaxreg.operators import convolution
    x = jax.random.uniform(jax.random.key(0), (40, 33, 3))
    k = jax.random.uniform(jax.random.key(1), shape)
    assert shape[0] * shape[1] > convolution.FFT_MIN_TAPS
    by_fft = convolution.same_convolve(x, k)
    monkeypatch.setattr(convolution, "FFT_MIN_TAPS", 10 ** 9)
    direct = convolution.same_convolve(x, k)
    np.testing.assert_allclose(by_fft, direct, atol=1e-5 * float(k.sum()))
    monkeypatch.undo()
    assert ops.check_adjoint(ops.SameConvolution(k, x.shape), jax.random.key(2)).passed


def test_fwht_is_the_orthonormal_hadamard_matrix_and_sequency_counts_sign_changes():
    h = np.array([[1.0]])
    for _ in range(4):
        h = np.block([[h, h], [h, -h]])
    x = np.random.default_rng(0).normal(size=(16, 3))
    np.testing.assert_allclose(ops.fwht(jnp.asarray(x)), h @ x / 4.0, atol=1e-5)
    changes = (np.diff(np.sign(h), axis=1) != 0).sum(axis=1)
    np.testing.assert_array_equal(ops.walsh_sequency(16), changes)


def test_hadamard_sequency_rows_start_at_dc_and_compression_factor():
    op = ops.SubsampledHadamard.from_compression((16, 16, 1), 4.0)
    assert op.out_shape == (64, 1)
    assert int(op.rows[0]) == 0
    x = jnp.ones((16, 16, 1))  # constant image: all energy in the DC pattern
    np.testing.assert_allclose(np.abs(op(x)).sum(), 16.0, rtol=1e-5)


# --- (μI + ρKᵀK + Σ wᵢ DᵢᵀDᵢ) x = b: fast exact solvers against a dense solve in float64 -------------
def _dense(problem, mu, rho, weights, circular=True):
    """The matrix of the normal operator, column by column (one vmapped, jitted call)."""
    shape = problem.image_shape
    n = int(np.prod(shape))
    m = problems.normal_operator(problem, mu=mu, rho=rho, diff_weights=weights, circular=circular)
    matvec = lambda e: m.apply(e.reshape(shape)).ravel()  # noqa: E731
    return np.asarray(jax.jit(jax.vmap(matvec))(jnp.eye(n))).T


def _x64_problems(y, key):
    kernel = jax.random.uniform(key, (3, 3)) + 0.1
    mask = (jax.random.uniform(key, y.shape[:2]) > 0.4).astype(float)
    op = ops.SubsampledHadamard.from_compression(y.shape, 2.0)
    return {
        "denoise": (problems.Denoise(y), {0: 0.7, 1: 1.3, 2: 0.4}),
        "deblur": (problems.Deblur(y, kernel), {0: 0.7, 1: 1.3, 2: 0.4}),
        "deblur-hw": (problems.Deblur(y, kernel), {0: 0.5, 1: 0.25}),
        "inpaint": (problems.Inpaint(y, mask), {}),
        "hadamard": (problems.CompressiveSensing(op(y), op), {}),
    }


@pytest.mark.parametrize("name", ["denoise", "deblur", "deblur-hw", "inpaint", "hadamard"])
def test_exact_normal_solve_equals_dense_solve_x64(name):
    with jax.enable_x64(True):
        key = jax.random.key(0)
        y = jax.random.uniform(key, (8, 8, 3), dtype=jnp.float64)
        problem, weights = _x64_problems(y, jax.random.key(1))[name]
        assert problem.y.dtype == jnp.float64
        m = problems.normal_operator(problem, mu=0.3, rho=2.0, diff_weights=weights)
        assert m.is_exact
        b = jax.random.normal(jax.random.key(2), (8, 8, 3), dtype=jnp.float64)
        mu, rho = 0.3, 2.0
        x_dense = np.linalg.solve(_dense(problem, mu, rho, weights), np.asarray(b).ravel())
        x_fast = np.asarray(ops.solve_normal(m, b)).ravel()
        assert x_fast.dtype == np.float64
        assert np.max(np.abs(x_fast - x_dense)) <= 1e-8


@pytest.mark.parametrize("boundary,circular", [("replicate", True), ("circular", False)])
def test_conjugate_gradient_fallback_matches_dense_solve(boundary, circular):
    with jax.enable_x64(True):
        y = jax.random.uniform(jax.random.key(0), (8, 8, 3), dtype=jnp.float64)
        problem = problems.Deblur(y, jnp.ones((3, 3)) / 9.0, boundary=boundary)
        weights = {0: 0.5, 1: 0.5}
        m = problems.normal_operator(problem, mu=0.1, diff_weights=weights, circular=circular)
        assert m.structure == "cg"
        b = jax.random.normal(jax.random.key(2), (8, 8, 3), dtype=jnp.float64)
        x_dense = np.linalg.solve(_dense(problem, 0.1, 1.0, weights, circular), np.asarray(b).ravel())
        x_cg = ops.solve_normal(m, b, cg_iters=500, cg_tol=1e-13)
        assert np.max(np.abs(np.asarray(x_cg).ravel() - x_dense)) <= 1e-8


# --- the normal operator's structure picks the solver; new operators can join ------------------------------------
def _structure_cases():
    y = np.random.default_rng(0).uniform(size=(8, 8, 3)).astype(np.float32)
    mask = np.random.default_rng(1).uniform(size=(8, 8)) > 0.5
    kernel = np.ones((3, 3), np.float32) / 9.0
    had = ops.SubsampledHadamard.from_compression(y.shape, 2.0)
    sr_c = problems.SuperResolution(y[::2, ::2], 2, boundary="circular")
    sr_r = problems.SuperResolution(y[::2, ::2], 2)
    d = {0: 1.0, 1: 1.0}
    return [  # (problem, diff_weights, circular, expected structure)
        (problems.Denoise(y), {}, True, "scalar"), (problems.Denoise(y), d, True, "fft"),
        (problems.Denoise(y), d, False, "dct"), (problems.Inpaint(y, mask), {}, True, "diagonal"),
        (problems.Inpaint(y, mask), d, True, "cg"), (problems.Deblur(y, kernel), d, True, "fft"),
        (problems.Deblur(y, kernel), {}, False, "fft"), (problems.Deblur(y, kernel), d, False, "cg"),
        (problems.Deblur(y, kernel, boundary="replicate"), {}, True, "cg"),
        (problems.CompressiveSensing(had(y), had), {}, True, "hadamard"),
        (problems.CompressiveSensing(had(y), had), d, True, "cg"),
        (sr_c, d, True, "polyphase"), (sr_c, d, False, "cg"), (sr_r, {}, True, "cg"),
    ]


@pytest.mark.parametrize("case", range(14))
def test_normal_operator_structure_and_solution(case):
    problem, dw, circular, expected = _structure_cases()[case]
    m = problems.normal_operator(problem, mu=0.2, rho=1.5, diff_weights=dw, circular=circular)
    assert m.structure == expected and m.is_exact == (expected != "cg")
    b = jax.random.normal(jax.random.key(case), problem.image_shape)
    x = ops.solve_normal(m, b, cg_iters=400, cg_tol=1e-7)
    np.testing.assert_allclose(m.apply(x), b, atol=2e-4 * float(jnp.abs(b).max()))
    # jit with the leaves traced (structure is static), and vmap over μ: each equals its own solve
    mus = jnp.asarray([0.1, 0.4])
    batched = jax.jit(jax.vmap(lambda mu: ops.solve_normal(m.replace(mu=mu), b, cg_iters=400, cg_tol=1e-7)))(mus)
    for mu, xb in zip(mus, batched):
        np.testing.assert_allclose(xb, ops.solve_normal(m.replace(mu=mu), b, cg_iters=400, cg_tol=1e-7),
                                   atol=1e-4 * float(jnp.abs(xb).max()))


def test_normal_operator_rejects_bad_input_and_new_operators_register_an_exact_solve():
    y = np.zeros((8, 8, 3), np.float32)
    m = problems.normal_operator(problems.Denoise(y), diff_weights={0: 1.0})
    with pytest.raises(ValueError, match="right-hand side has shape"):
        ops.solve_normal(m, jnp.zeros((8, 8, 1)))
    with pytest.raises(ValueError, match="method must be"):
        ops.solve_normal(m, jnp.zeros((8, 8, 3)), method="lu")
    with pytest.raises(ValueError, match="NormalOperator"):
        ops.solve_normal(problems.Denoise(y), jnp.zeros((8, 8, 3)))

    class Scale(ops.LinearOperator):  # A = 2 I: AᵀA = 4 I, exact as a scalar when there is no difference term
        def apply(self, x):
            return 2.0 * x

    Scale = ops.base.pytree_dataclass(Scale)
    Scale.example = classmethod(lambda cls, key, shape=(8, 8, 3): cls(tuple(shape)))
    calls = []

    def rule(n):
        if n.differences:
            return None
        calls.append(1)
        return "scalar", lambda b: b / (n.mu + 4.0 * n.rho)

    n = ops.NormalOperator((8, 8, 3), op=Scale((8, 8, 3)), mu=0.5, rho=1.0, diff_weights={})
    assert n.structure == "cg"
    ops.register_normal_solver(Scale, rule)
    try:
        b = jax.random.normal(jax.random.key(0), (8, 8, 3))
        assert n.structure == "scalar"
        np.testing.assert_allclose(ops.solve_normal(n, b), b / 4.5, rtol=1e-6)
        assert calls and n.replace(diff_weights={0: 1.0}).structure == "cg"
        with pytest.raises(ValueError, match="LinearOperator subclass"):
            ops.register_normal_solver(int, rule)
    finally:
        ops.normal._RULES.pop(Scale)
