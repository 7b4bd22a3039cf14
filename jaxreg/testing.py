"""The contract every registered method keeps, as checks you can run on your own method.

``check_method(name)`` runs the cheap checks; ``check_sweep_equals_solve(name, field)`` the one that compiles.
The library's own test (``tests/test_contract.py``) runs them over ``jaxreg.methods.names()``, so a method gets
them by registering; a method written elsewhere gets them by one call::

    from jaxreg import methods, testing

    @methods.register
    @pytree_dataclass
    class MyMethod(Method):
        ...

    testing.check_method("my-method")                   # AssertionError naming the broken rule
    testing.check_sweep_equals_solve("my-method", "lam")

The rules:

1. the class names its paper (authors and a year, or authors and a title) and has a docstring; every parameter
   is a dataclass field;
2. every out-of-range value of a ``positive``/``nonnegative`` leaf, and every value outside the ``choices`` of a
   static field (``static(choices=...)``), is a ``ValueError`` naming the field, from ``solve`` (and for leaves
   from ``sweep``), raised before anything is compiled;
3. a grid of in-range values for each numeric leaf passes validation (what ``sweep`` checks eagerly);
4. ``init`` and ``step`` work under ``vmap`` over every numeric leaf at once, and the output is float32 with the
   problem's image shape (traced with ``jax.eval_shape``: nothing is compiled, so networks are cheap too);
5. (compiles) ``sweep`` over a leaf equals separate ``solve`` calls, with the right shape and dtype.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import jax

from . import _driver, data, methods, problems
from .solve import solve
from .sweep import sweep

KEY = jax.random.key(0)
#: two in-range values for leaves whose default is None (chosen from the problem) or 0
VALUES = {"lam": (0.04, 0.08), "rho": (0.5, 1.0), "tol": (0.0, 1e-3), "lam_t": (0.5, 1.0)}


def contract_problem(cls, size: int = 64):
    """A small real problem of a kind the method supports (denoising first): the astronaut at ``size``²."""
    clean = np.asarray(data.sample_image("astronaut", size=size))
    noisy = np.asarray(data.add_gaussian_noise(jax.random.key(1), clean, 0.1))
    kernel = np.asarray(data.gaussian_kernel(5, 1.0))
    mask = (np.random.default_rng(0).random(clean.shape[:2] + (1,)) < 0.5).astype(np.float32) * np.ones_like(clean)
    candidates = [problems.Denoise(noisy, sigma=0.1), problems.Deblur(np.asarray(data.blur(clean, kernel)), kernel),
                  problems.Inpaint(clean * mask, mask), problems.SuperResolution(clean[::2, ::2], 2)]
    for p in candidates:
        if isinstance(p, cls.problems):
            return p
    raise AssertionError(f"no contract problem for {cls.name}: it supports none of Denoise, Deblur, Inpaint, "
                         "SuperResolution")


def leaves(name) -> list:
    """The numeric hyperparameters (pytree leaves) of a method."""
    return [f for f, (_, leaf, _) in methods.method_class(name).parameters().items() if leaf]


def in_range_pair(name, field):
    """Two in-range values of a leaf (None when the leaf is not a number, e.g. a critic)."""
    default = methods.method_class(name).parameters()[field][0]
    if field in VALUES:
        return VALUES[field]
    if default is None:  # chosen from the problem (alr's lam, sigma) or an object (alr's critic)
        return (0.04, 0.08) if field in ("lam", "sigma") else None
    if not isinstance(default, (int, float)) or isinstance(default, bool):
        return None
    return (default, default) if default == 0 else (default, type(default)(default * 0.9) or default)


def bad_values(cls):
    """``(field, value)`` pairs every method must reject."""
    for field in cls.positive:
        yield field, 0.0
        yield field, -1.0
    for field in cls.nonnegative:
        yield field, -1.0


def check_documented(name) -> None:
    cls = methods.method_class(name)
    assert cls.name == name, f"{name}: registered under another name ({cls.name!r})"
    paper = str(getattr(cls, "paper", "") or "")
    has_year = re.search(r"(19|20)\d\d", paper) is not None
    has_title = "," in paper and len(paper.split(",", 1)[1].split()) >= 2
    assert has_year or has_title, f"{name}: `paper` must name authors and a year or a title, got {paper!r}"
    assert (cls.__doc__ or "").strip(), f"{name} has no docstring"
    for field in cls.parameters():
        assert field in cls.__dataclass_fields__, f"{name}: parameter {field} is not a dataclass field"


def check_rejects_out_of_range(name, problem=None) -> None:
    cls = methods.method_class(name)
    problem = contract_problem(cls) if problem is None else problem
    before = _driver.trace_count["compiles"]
    for field, bad in bad_values(cls):
        for call in (lambda: solve(problem, methods.get(name, **{field: bad}), key=KEY, num_iters=1),
                     lambda: sweep(problem, methods.get(name), {field: [bad]}, key=KEY, num_iters=1)):
            try:
                call()
            except ValueError as e:
                assert field in str(e), f"{name}: the error for {field}={bad} does not name the field: {e}"
            else:
                raise AssertionError(f"{name}: {field}={bad} was accepted")
    for f in dataclasses.fields(cls):
        if f.metadata.get("choices") is None:
            continue
        try:
            solve(problem, methods.get(name, **{f.name: "no-such-choice"}), key=KEY, num_iters=1)
        except ValueError as e:
            assert f.name in str(e), f"{name}: the error for {f.name}='no-such-choice' does not name the field: {e}"
        else:
            raise AssertionError(f"{name}: {f.name}='no-such-choice' was accepted (choices {f.metadata['choices']})")
    assert _driver.trace_count["compiles"] == before, f"{name}: compiled before rejecting a bad value"


def check_grid_validates(name, problem=None) -> None:
    cls = methods.method_class(name)
    problem = contract_problem(cls) if problem is None else problem
    for field in leaves(name):
        pair = in_range_pair(name, field)
        if pair is not None:
            methods.get(name).replace(**{field: np.asarray(pair, np.float32)}).validate(problem)


def check_batched_leaves(name, problem=None) -> None:
    """``init`` + one ``step`` under ``vmap`` over every numeric leaf at once (traced, not compiled); the output
    is float32 of the problem's image shape."""
    cls = methods.method_class(name)
    problem = contract_problem(cls) if problem is None else problem
    method = methods.get(name)
    grid = {f: np.asarray(p, np.float32) for f in leaves(name) if (p := in_range_pair(name, f)) is not None}
    method.replace(**grid).validate(problem)

    def run(params):
        m = method.replace(**params)
        state = m.step(m.init(KEY, problem), problem)
        return m.output(state)

    out = jax.eval_shape(jax.vmap(run), grid) if grid else jax.eval_shape(run, {})
    want = ((2,) if grid else ()) + tuple(problem.image_shape)
    assert tuple(out.shape) == want, f"{name}: output shape {out.shape} under vmap, expected {want}"
    assert out.dtype == np.float32, f"{name}: output dtype {out.dtype}, expected float32"


def check_sweep_equals_solve(name, field, *, size: int = 32, num_iters: int = 30, atol: float = 1e-4) -> None:
    """``sweep`` over two values of ``field`` equals two ``solve`` calls (compiles: seconds per method)."""
    cls = methods.method_class(name)
    problem = contract_problem(cls, size=size)
    values = in_range_pair(name, field)
    if values is None:
        raise ValueError(f"{name}.{field} is not a numeric leaf")
    swept = sweep(problem, methods.get(name), {field: list(values)}, key=KEY, num_iters=num_iters)
    assert swept.images.shape == (2,) + tuple(problem.image_shape), f"{name}: sweep images {swept.images.shape}"
    for i, v in enumerate(values):
        one = solve(problem, methods.get(name, **{field: v}), key=KEY, num_iters=num_iters)
        assert one.image.shape == tuple(problem.image_shape) and one.image.dtype == np.float32
        # the same program up to the batching: float32 round-off of a few tens of iterations on [0, 1] images
        np.testing.assert_allclose(np.asarray(swept.images[i]), np.asarray(one.image), rtol=0, atol=atol,
                                   err_msg=f"{name}.{field}={v}")


def check_method(name, problem=None) -> None:
    """Rules 1–4 of the module docstring (nothing compiled)."""
    check_documented(name)
    check_rejects_out_of_range(name, problem)
    check_grid_validates(name, problem)
    check_batched_leaves(name, problem)
