"""Small methods used to test the drivers (not registered)."""

import jax.numpy as jnp

from jaxreg._pytree import pytree_dataclass, static
from jaxreg.methods import Method
from jaxreg.problems import Problem

TRACES = {"step": 0}


@pytree_dataclass
class Blowup(Method):
    """x ← factor·x, but NaN from iteration ``bad_at`` on: tests the non-finite stop."""

    name = "blowup"
    factor: float = 1.5
    bad_at: int = 5

    def init(self, key, problem):
        return {"x": problem.initial_image(), "k": jnp.asarray(0)}

    def step(self, state, problem):
        k = state["k"] + 1
        x = state["x"] * self.factor
        x = jnp.where(k >= self.bad_at, jnp.nan, x)
        return {"x": x, "k": k}

    def output(self, state):
        return state["x"]


@pytree_dataclass
class Relax(Method):
    """x ← x + lr·(y − x) (counts its traces): converges geometrically to y."""

    name = "relax"
    problems = (Problem,)
    lr: float = 0.5
    out_scale: float = 1.0
    mode: str = static(default="plain")

    def init(self, key, problem):
        return {"x": jnp.zeros(problem.image_shape)}

    def step(self, state, problem):
        TRACES["step"] += 1
        return {"x": state["x"] + self.lr * (problem.y - state["x"])}

    def output(self, state):
        return self.out_scale * state["x"]

    def diagnostics(self, state, problem):
        return {"objective": problem.data_fidelity(state["x"])}


def assert_own_grid_point(swept, single, others, *, frac=0.05, what="image"):
    """A swept grid point matches its own solve far more closely than it matches any other grid point.

    Methods stepped by Adam turn float-level differences between a batched (vmapped) and a single program —
    which differ between CPU models — into steps of order ``lr`` on parameters whose gradient is near zero, so
    an elementwise tolerance in units of float32 eps cannot be derived for them.  What a sweep must guarantee is
    that each point is the run of its own hyperparameters and key: a wrong assignment lands on another grid
    point, at the distance between grid points.  ``others``: images of grid points that differ from this one.
    """
    import numpy as np

    a, b = np.asarray(swept, np.float64), np.asarray(single, np.float64)
    d_self = float(np.max(np.abs(a - b)))
    d_other = min(float(np.max(np.abs(np.asarray(o, np.float64) - b))) for o in others)
    assert d_other > 0, f"{what}: the other grid points equal this one; pick points that differ"
    assert d_self <= frac * d_other, (f"{what}: the swept point is {d_self:.3g} from its own solve, "
                                      f"the nearest other point {d_other:.3g}")
