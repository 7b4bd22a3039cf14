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
