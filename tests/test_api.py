"""Public API names and argument conventions (checked by introspection, as dm-pix does)."""

import inspect

import pytest

import jaxreg
from jaxreg import data, io, metrics, problems


def test_public_names():
    for name in ("solve", "sweep", "Result", "SweepResult", "Status", "methods", "problems", "metrics",
                 "operators"):
        assert hasattr(jaxreg, name), name
    for name in ("Denoise", "Inpaint", "Deblur", "CompressiveSensing", "JPEGArtifacts", "Smooth"):
        assert hasattr(problems, name), name
    for name in ("psnr", "ssim", "sam", "ergas"):
        assert callable(getattr(metrics, name))
    assert callable(io.imread) and callable(io.imwrite)
    assert "tikhonov" in jaxreg.methods.names()


@pytest.mark.parametrize("fn", [jaxreg.solve, jaxreg.sweep])
def test_entry_points_take_key_and_num_iters_by_keyword(fn):
    params = inspect.signature(fn).parameters
    for name in ("key", "num_iters", "reference"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert params["key"].default is inspect.Parameter.empty
    assert params["num_iters"].default is inspect.Parameter.empty


@pytest.mark.parametrize("fn", [metrics.psnr, metrics.ssim])
def test_data_range_is_required_and_keyword_only(fn):
    p = inspect.signature(fn).parameters["data_range"]
    assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty


def _public_functions(module):
    return [f for n, f in inspect.getmembers(module, inspect.isfunction)
            if not n.startswith("_") and f.__module__ == module.__name__]


@pytest.mark.parametrize("module", [data, metrics, io])
def test_randomness_only_through_a_leading_key(module):
    for f in _public_functions(module):
        names = list(inspect.signature(f).parameters)
        assert "rng" not in names and "seed" not in names, f.__name__
        if "key" in names:
            assert names[0] == "key", f"{f.__name__}: key must come first"
