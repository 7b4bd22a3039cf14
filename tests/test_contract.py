"""The contract every registered method keeps; a new method gets these checks by registering.

The checks live in :mod:`jaxreg.testing` (a method written elsewhere runs them with one call; see
``tests/test_contract_toy.py``).  For every name in ``jaxreg.methods.names()``: the class names its paper and
documents itself; an out-of-range hyperparameter (each field of ``positive``/``nonnegative``) is a ``ValueError``
naming the field, raised before anything is compiled; a grid of in-range values of each leaf validates; ``init``
and ``step`` trace under ``vmap`` over every leaf with a float32 output of the image's shape.  Compiling checks
(slow): ``sweep`` over each numeric leaf of the classical methods, and over ``lr`` of the network methods, equals
separate ``solve`` calls.
"""

import numpy as np
import pytest

from jaxreg import methods, testing
from jaxreg.methods.deep_prior import NetworkMethod

NAMES = methods.names()
CLASSICAL = ("tv", "tikhonov", "pnp-admm", "l0-smoothing", "region-fusion", "wiener")
NETWORKS = [n for n in NAMES if issubclass(methods.method_class(n), NetworkMethod)]


@pytest.mark.parametrize("name", NAMES)
def test_every_method_names_its_paper_and_documents_itself(name):
    testing.check_documented(name)


@pytest.mark.parametrize("name", [n for n in NAMES if list(testing.bad_values(methods.method_class(n)))])
def test_out_of_range_hyperparameters_are_rejected_before_compiling(name):
    testing.check_rejects_out_of_range(name)


@pytest.mark.parametrize("name", NAMES)
def test_init_and_step_trace_under_vmap_over_every_leaf_with_a_float32_image(name):
    testing.check_batched_leaves(name)


LEAF_CASES = [(n, f) for n in CLASSICAL for f in testing.leaves(n)]


@pytest.mark.slow  # 14 cases of ~3 s (each compiles a sweep and two solves)
@pytest.mark.parametrize("name,field", LEAF_CASES, ids=[f"{n}-{f}" for n, f in LEAF_CASES])
def test_sweep_over_each_leaf_equals_solve_with_the_right_shape_and_dtype(name, field):
    testing.check_sweep_equals_solve(name, field)


@pytest.mark.slow  # a network compiles for 10-30 s per call on 2 cores
@pytest.mark.parametrize("name", NETWORKS)
def test_network_sweep_over_the_step_size_equals_solve(name):
    # the skip network needs at least 33 pixels per side, the Deep Decoder multiples of 32; a few Adam steps
    testing.check_sweep_equals_solve(name, "lr", size=64, num_iters=3, atol=1e-4)


ALL_LEAVES = [(n, f) for n in NAMES for f in testing.leaves(n) if testing.in_range_pair(n, f) is not None]


@pytest.mark.parametrize("name,field", ALL_LEAVES, ids=[f"{n}-{f}" for n, f in ALL_LEAVES])
def test_a_grid_of_in_range_values_passes_validation_for_every_leaf(name, field):
    """What ``sweep`` checks before compiling: a method holding an array of in-range values for one leaf must
    validate (scalar-only checks such as ``float(self.kappa)`` crashed on a grid)."""
    cls = methods.method_class(name)
    values = testing.in_range_pair(name, field)
    methods.get(name).replace(**{field: np.asarray(values, np.float32)}).validate(testing.contract_problem(cls))
