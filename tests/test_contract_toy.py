"""A method written outside the library gets the whole contract by registering and one call to
:mod:`jaxreg.testing` — and a method that breaks a rule fails it, naming the rule."""

import dataclasses

import jax.numpy as jnp
import pytest

from jaxreg import testing
from jaxreg._pytree import pytree_dataclass, static
from jaxreg.methods import Method, registry
from jaxreg.problems import Denoise


@pytree_dataclass
class Toy(Method):
    """Gradient descent on ½‖x − y‖² + (lam/2)‖∇x‖² (periodic differences), step ``tau``."""

    name = "toy-smoother"
    paper = "Tikhonov, Solution of incorrectly formulated problems and the regularization method, 1963"
    problems = (Denoise,)
    positive = ("lam", "tau")

    lam: float = 0.1
    tau: float = 0.2
    boundary: str = static(default="periodic", choices=("periodic",))

    def init(self, key, problem):
        return {"x": problem.y}

    def step(self, state, problem):
        x = state["x"]
        lap = sum(jnp.roll(x, s, a) for a in (0, 1) for s in (1, -1)) - 4 * x
        return {"x": x - self.tau * ((x - problem.y) - self.lam * lap)}

    def output(self, state):
        return state["x"]


@pytest.fixture
def registered(monkeypatch):
    """Register a class for one test only."""
    def put(cls):
        monkeypatch.setitem(registry._REGISTRY, cls.name, cls)
        return cls.name
    return put


def test_a_new_method_gets_every_check_by_registering(registered):
    name = registered(Toy)
    testing.check_method(name)
    for field in testing.leaves(name):
        testing.check_sweep_equals_solve(name, field)


@pytree_dataclass
class Unnamed(Toy):
    """The toy without its paper."""

    name = "toy-unnamed"
    paper = ""


@pytree_dataclass
class Unchecked(Toy):
    """The toy declaring ``tau`` positive but validating nothing."""

    name = "toy-unchecked"

    def validate(self, problem):
        pass


@pytree_dataclass
class Shrinking(Toy):
    """The toy returning one channel of a colour image."""

    name = "toy-shrinking"

    def output(self, state):
        return state["x"][..., :1]


@pytest.mark.parametrize("cls, rule", [(Unnamed, "paper"), (Unchecked, "was accepted"),
                                       (Shrinking, "output shape")])
def test_a_method_that_breaks_a_rule_fails_the_contract(registered, cls, rule):
    name = registered(cls)
    with pytest.raises(AssertionError, match=rule):
        testing.check_method(name)


def test_dataclass_fields_of_the_toy_are_its_parameters():
    assert {f.name for f in dataclasses.fields(Toy)} == {"lam", "tau", "boundary"}
