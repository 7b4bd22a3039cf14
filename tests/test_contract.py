"""The contract every registered method keeps; a new method gets these checks by registering.

For every name in ``jaxreg.methods.names()``: the class names its paper and documents itself; an out-of-range
hyperparameter (each field of ``positive``/``nonnegative``) is a ``ValueError`` naming the field, raised before
anything is compiled.  For the classical methods (cheap to compile): the output has the problem's image shape and
float32 dtype, and ``sweep`` over each numeric leaf equals separate ``solve`` calls.  Networks' sweeps are covered
per family (``test_sweep.py``, ``test_dip.py``, ``test_ngr.py``, ``test_dip_l0.py``, ``test_drp.py``).
"""

import re

import numpy as np
import jax
import pytest

import jaxreg
from jaxreg import _driver, data, methods, problems

KEY = jax.random.key(0)
NAMES = methods.names()
CLASSICAL = ("tv", "tikhonov", "pnp-admm", "l0-smoothing", "region-fusion", "wiener")
# two in-range values for leaves whose default is None (chosen from the problem) or 0
VALUES = {"lam": (0.04, 0.08), "rho": (0.5, 1.0), "tol": (0.0, 1e-3), "lam_t": (0.5, 1.0)}


def _problem(cls, size=48):
    """A small real problem of a kind the method supports (denoising first)."""
    clean = np.asarray(data.sample_image("astronaut", size=size))
    noisy = np.asarray(data.add_gaussian_noise(jax.random.key(1), clean, 0.1))
    kernel = np.asarray(data.gaussian_kernel(5, 1.0))
    mask = (np.random.default_rng(0).random(clean.shape[:2] + (1,)) < 0.5).astype(np.float32) * np.ones_like(clean)
    candidates = [problems.Denoise(noisy, sigma=0.1), problems.Deblur(np.asarray(data.blur(clean, kernel)), kernel),
                  problems.Inpaint(clean * mask, mask), problems.SuperResolution(clean[::2, ::2], 2)]
    for p in candidates:
        if isinstance(p, cls.problems):
            return p
    raise AssertionError(f"no test problem for {cls.name}")


@pytest.mark.parametrize("name", NAMES)
def test_every_method_names_its_paper_and_documents_itself(name):
    cls = methods.method_class(name)
    assert cls.name == name
    # authors and a year, or authors and a title ("Xu et al., Neural Gradient Regularizer")
    has_year = re.search(r"(19|20)\d\d", cls.paper) is not None
    has_title = "," in cls.paper and len(cls.paper.split(",", 1)[1].split()) >= 2
    assert has_year or has_title, cls.paper
    assert (cls.__doc__ or "").strip(), f"{name} has no docstring"
    for field, (_, _, _) in cls.parameters().items():
        assert field in cls.__dataclass_fields__


def _bad_values(cls):
    for field in cls.positive:
        yield field, 0.0
        yield field, -1.0
    for field in cls.nonnegative:
        yield field, -1.0


@pytest.mark.parametrize("name", [n for n in NAMES if list(_bad_values(methods.method_class(n)))])
def test_out_of_range_hyperparameters_are_rejected_before_compiling(name):
    cls = methods.method_class(name)
    problem = _problem(cls)
    before = _driver.trace_count["compiles"]
    for field, bad in _bad_values(cls):
        with pytest.raises(ValueError, match=field):
            jaxreg.solve(problem, methods.get(name, **{field: bad}), key=KEY, num_iters=1)
        with pytest.raises(ValueError, match=field):
            jaxreg.sweep(problem, methods.get(name), {field: [bad]}, key=KEY, num_iters=1)
    assert _driver.trace_count["compiles"] == before


def _leaves(name):
    cls = methods.method_class(name)
    return [f for f, (_, leaf, _) in cls.parameters().items() if leaf]


def _two_values(name, field):
    if field in VALUES:
        return VALUES[field]
    default = methods.method_class(name).parameters()[field][0]
    return (float(default), 1.5 * float(default))


LEAF_CASES = [(n, f) for n in CLASSICAL for f in _leaves(n)]


@pytest.mark.slow  # 14 cases of ~3 s (each compiles a sweep and two solves)
@pytest.mark.parametrize("name,field", LEAF_CASES, ids=[f"{n}-{f}" for n, f in LEAF_CASES])
def test_sweep_over_each_leaf_equals_solve_with_the_right_shape_and_dtype(name, field):
    cls = methods.method_class(name)
    problem = _problem(cls, size=32)
    values = _two_values(name, field)
    swept = jaxreg.sweep(problem, methods.get(name), {field: list(values)}, key=KEY, num_iters=30)
    assert swept.images.shape == (2,) + tuple(problem.image_shape)
    for i, v in enumerate(values):
        one = jaxreg.solve(problem, methods.get(name, **{field: v}), key=KEY, num_iters=30)
        assert one.image.shape == tuple(problem.image_shape) and one.image.dtype == np.float32
        # same program up to the batching: float32 round-off of a few tens of iterations on [0, 1] images
        np.testing.assert_allclose(np.asarray(swept.images[i]), np.asarray(one.image), rtol=0, atol=1e-4,
                                   err_msg=f"{name}.{field}={v}")


def _in_range_pair(name, field):
    default = methods.method_class(name).parameters()[field][0]
    if field in VALUES:
        return VALUES[field]
    if default is None:  # chosen from the problem (alr's lam, sigma) or an object (alr's critic)
        return (0.04, 0.08) if field in ("lam", "sigma") else None
    if not isinstance(default, (int, float)) or isinstance(default, bool):
        return None  # not a number (e.g. a critic): not sweepable by value
    return (default, default) if default == 0 else (default, type(default)(default * 0.9) or default)


ALL_LEAVES = [(n, f) for n in NAMES for f in _leaves(n) if _in_range_pair(n, f) is not None]


@pytest.mark.parametrize("name,field", ALL_LEAVES, ids=[f"{n}-{f}" for n, f in ALL_LEAVES])
def test_a_grid_of_in_range_values_passes_validation_for_every_leaf(name, field):
    """What ``sweep`` checks before compiling: a method holding an array of in-range values for one leaf must
    validate (scalar-only checks such as ``float(self.kappa)`` crashed on a grid)."""
    cls = methods.method_class(name)
    values = np.asarray(_in_range_pair(name, field), np.float32)
    methods.get(name).replace(**{field: values}).validate(_problem(cls))
