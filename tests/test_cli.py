"""The ``jaxreg`` command line: ``demo``, ``restore`` and ``methods`` (in-process, tiny images)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import jax
import pytest

import jaxreg
from jaxreg import data, io
from jaxreg.cli import main

REPO = Path(__file__).resolve().parents[1]
SIZE = 32
FAST = ["--iters", "5", "--quiet"]


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    """A 32x32 RGB noisy clip-art PNG shared by the restore tests (never written to by them)."""
    d = tmp_path_factory.mktemp("cli_inputs")
    clean = data.clipart(jax.random.key(1), (SIZE, SIZE, 3))
    noisy = data.add_gaussian_noise(jax.random.key(2), clean, 0.1, clip=True)
    path = d / "noisy.png"
    io.imwrite(path, noisy)
    return path


def _restore(inp, out, task="denoise", method="tikhonov", *extra):
    return main(["restore", str(inp), "-o", str(out), "--task", task, "--method", method, *FAST, *extra])


def _error(capsys, code):
    """Assert exit status 2 and return the ``jaxreg: error: ...`` line from stderr."""
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("jaxreg: error: "), err
    return err


# ------------------------------------------------------------------------------------------------
# demo
# ------------------------------------------------------------------------------------------------
def test_demo_writes_images_and_improves_psnr(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--size", "64", "--iters", "10", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out

    shapes = {}
    for name in ("clean", "input", "output", "comparison"):
        f = out / f"{name}.png"
        assert f.is_file(), f
        shapes[name] = io.imread(f).shape
    assert shapes["clean"][:2] == shapes["input"][:2] == shapes["output"][:2] == (64, 64)
    assert shapes["comparison"][0] == 64 and shapes["comparison"][1] > 3 * 64
    # a real photo, not a flat image
    assert float(np.std(np.asarray(io.imread(out / "clean.png")))) > 0.05

    found = dict(re.findall(r"(input|output)\s*: PSNR\s+([\d.]+) dB\s+SSIM\s+[\d.]+", text))
    assert set(found) == {"input", "output"}, text
    assert float(found["output"]) > float(found["input"])
    assert re.search(r"total [\d.]+ s", text), text
    # no temporary files left behind by the atomic writes
    assert sorted(p.name for p in out.iterdir()) == ["clean.png", "comparison.png", "input.png", "output.png"]


def test_demo_sure_lam_is_near_oracle_and_grows_with_size():
    """The demo's Tikhonov lam comes from SURE (σ only): close to the best lam found with the clean image."""
    from jaxreg.methods.tikhonov import sure_lam

    def tikhonov_psnr(y, clean, lam):  # closed-form circular Tikhonov denoising, in NumPy
        h, w, _ = y.shape
        s = (2 - 2 * np.cos(2 * np.pi * np.arange(h) / h))[:, None] + (2 - 2 * np.cos(2 * np.pi * np.arange(w) / w))
        x = np.real(np.fft.ifft2(np.fft.fft2(y, axes=(0, 1)) / (1 + lam * s)[..., None], axes=(0, 1)))
        return -10 * np.log10(np.mean((np.clip(x, 0, 1) - clean) ** 2))

    lams = []
    for size in (32, 128):
        clean = np.asarray(data.sample_image("astronaut", size=size), np.float64)
        noisy = np.asarray(data.add_gaussian_noise(jax.random.key(0), clean, 0.1), np.float64)
        lam = sure_lam(noisy, 0.1)
        lams.append(lam)
        oracle = max(tikhonov_psnr(noisy, clean, t) for t in np.logspace(-2, 1, 31))
        assert tikhonov_psnr(noisy, clean, lam) > oracle - 0.3
        assert tikhonov_psnr(noisy, clean, 1.5) < oracle - 1.0  # the old fixed lam was far off at these sizes
    assert lams[1] > lams[0]


def test_demo_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file.png"
    f.write_bytes(b"x")
    err = _error(capsys, main(["demo", "--size", "64", "--iters", "2", "--out", str(f), "--quiet"]))
    assert "not a directory" in err
    assert f.read_bytes() == b"x"


def test_demo_method_must_exist_and_defaults_to_tv(tmp_path, capsys):
    err = _error(capsys, main(["demo", "--size", "64", "--iters", "2", "--method", "nope", "--out",
                               str(tmp_path / "d"), "--quiet"]))
    assert "unknown method 'nope'" in err and "dip" in err
    from jaxreg.cli import DEMO_PREFERENCE
    assert DEMO_PREFERENCE[0] == "tv"  # DIP needs minutes on a CPU: the demo stays fast


# ------------------------------------------------------------------------------------------------
# restore: one run per task
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["denoise", "jpeg", "smooth"])
def test_restore_identity_tasks(task, image_file, tmp_path, capsys):
    out = tmp_path / f"{task}.png"
    assert _restore(image_file, out, task) == 0
    assert out.is_file()
    assert io.imread(out).shape == io.imread(image_file).shape
    assert f"wrote {out}" in capsys.readouterr().out


def test_restore_inpaint_with_mask_png(image_file, tmp_path):
    rng = np.random.default_rng(0)
    mask = (rng.random((SIZE, SIZE, 1)) < 0.7).astype(np.float32)
    mask_file = tmp_path / "mask.png"
    io.imwrite(mask_file, mask)
    out = tmp_path / "inpainted.png"
    assert _restore(image_file, out, "inpaint", "tikhonov", "--mask", str(mask_file)) == 0
    y = np.asarray(io.imread(image_file))
    x = np.asarray(io.imread(out))
    assert x.shape == y.shape
    # the missing pixels were filled in, not left at 0
    assert x[mask[..., 0] == 0].mean() > 0.05


def test_restore_deblur_with_npy_kernel(image_file, tmp_path):
    kernel_file = tmp_path / "kernel.npy"
    np.save(kernel_file, np.asarray(data.gaussian_kernel(5, 1.0)))
    out = tmp_path / "deblurred.npy"
    assert _restore(image_file, out, "deblur", "tikhonov", "--kernel", str(kernel_file)) == 0
    x = np.load(out)
    assert x.shape == io.imread(image_file).shape and x.dtype == np.float32


def test_restore_gray_image(image_file, tmp_path):
    gray = tmp_path / "gray.png"
    io.imwrite(gray, np.asarray(io.imread(image_file))[..., :1])
    out = tmp_path / "gray_out.png"
    assert _restore(gray, out) == 0
    assert io.imread(out).shape == (SIZE, SIZE, 1)


def test_restore_shows_progress_bar_unless_quiet(image_file, tmp_path, capsys):
    args = ["restore", str(image_file), "-o", str(tmp_path / "o.png"), "--task", "denoise",
            "--method", "tikhonov", "--iters", "3", "--set", "tol=0"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "3/3" in captured.out + captured.err
    assert main(args + ["--quiet"]) == 0
    captured = capsys.readouterr()
    assert "3/3" not in captured.out + captured.err


# ------------------------------------------------------------------------------------------------
# restore: --set
# ------------------------------------------------------------------------------------------------
def test_set_lam_is_applied(image_file, tmp_path):
    outs = {}
    for lam in (None, "0.5", "5"):
        out = tmp_path / f"lam_{lam}.npy"
        extra = [] if lam is None else ["--set", f"lam={lam}"]
        assert _restore(image_file, out, "denoise", "tikhonov", *extra) == 0
        outs[lam] = np.load(out)
    y = io.imread(image_file)
    expected = jaxreg.solve(jaxreg.problems.Denoise(y), jaxreg.methods.get("tikhonov", lam=0.5),
                            key=jax.random.key(0), num_iters=5, progress=False).image
    np.testing.assert_allclose(outs["0.5"], np.clip(np.asarray(expected), 0, 1), atol=1e-5)
    assert np.abs(outs["0.5"] - outs[None]).max() > 1e-3
    assert np.abs(outs["0.5"] - outs["5"]).max() > 1e-3
    # more smoothing → smaller total variation
    tv = lambda a: np.abs(np.diff(a, axis=0)).sum() + np.abs(np.diff(a, axis=1)).sum()  # noqa: E731
    assert tv(outs["5"]) < tv(outs["0.5"]) < tv(outs[None])


def test_set_structural_tuple_parameter(image_file, tmp_path):
    both, rows = tmp_path / "both.npy", tmp_path / "rows.npy"
    assert _restore(image_file, both, "denoise", "tikhonov", "--set", "lam=2") == 0
    assert _restore(image_file, rows, "denoise", "tikhonov", "--set", "lam=2", "--set", "axes=0") == 0
    assert np.abs(np.load(both) - np.load(rows)).max() > 1e-3


# ------------------------------------------------------------------------------------------------
# restore: never overwrite the input without --force
# ------------------------------------------------------------------------------------------------
def test_refuses_to_overwrite_input_without_force(image_file, tmp_path, capsys):
    inp = tmp_path / "photo.png"
    inp.write_bytes(image_file.read_bytes())
    before = inp.read_bytes()
    err = _error(capsys, _restore(inp, inp))
    assert "--force" in err and "overwrite" in err
    assert inp.read_bytes() == before
    # the same file under another spelling is refused too
    other = tmp_path / "sub" / ".." / "photo.png"
    (tmp_path / "sub").mkdir()
    _error(capsys, _restore(inp, other))
    assert inp.read_bytes() == before

    assert _restore(inp, inp, "denoise", "tikhonov", "--force") == 0
    assert inp.read_bytes() != before
    assert io.imread(inp).shape == (SIZE, SIZE, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "sub"]  # no temporary left


def test_existing_other_output_is_replaced(image_file, tmp_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    assert _restore(image_file, out) == 0
    assert io.imread(out).shape == (SIZE, SIZE, 3)


# ------------------------------------------------------------------------------------------------
# restore: bad input → exit status 2 with a message, before any compilation
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def no_solve(monkeypatch):
    """Make any attempt to run a solver fail loudly: the errors below must come first."""
    def boom(*args, **kwargs):
        raise AssertionError("jaxreg.solve was called")
    monkeypatch.setattr(jaxreg, "solve", boom)


def test_unknown_method(image_file, tmp_path, capsys, no_solve):
    out = tmp_path / "o.png"
    err = _error(capsys, _restore(image_file, out, "denoise", "no_such_method"))
    assert "unknown method 'no_such_method'" in err and "tikhonov" in err
    assert not out.exists()


def test_unknown_parameter_lists_valid_ones(image_file, tmp_path, capsys, no_solve):
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "denoise", "tikhonov", "--set", "lamda=1"))
    assert "lamda" in err
    for name in jaxreg.methods.method_class("tikhonov").parameters():
        assert name in err


@pytest.mark.parametrize("item, words", [("lam", "--set expects key=value, got 'lam'"),
                                         ("=1", "--set expects key=value, got '=1'"),
                                         ("lam=abc", "'lam' of method 'tikhonov' expects a number, got 'abc'")])
def test_bad_set_syntax_or_value(item, words, image_file, tmp_path, capsys, no_solve):
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "denoise", "tikhonov", "--set", item))
    assert words in err


def test_out_of_range_parameter(image_file, tmp_path, capsys):
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "denoise", "tikhonov", "--set", "lam=-1"))
    assert "lam" in err and "non-negative" in err


def test_missing_input_file(tmp_path, capsys, no_solve):
    missing = tmp_path / "nope.png"
    err = _error(capsys, _restore(missing, tmp_path / "o.png"))
    assert "not found" in err and str(missing) in err


def test_inpaint_without_mask(image_file, tmp_path, capsys, no_solve):
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "inpaint"))
    assert "--mask" in err


def test_deblur_without_kernel(image_file, tmp_path, capsys, no_solve):
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "deblur"))
    assert "--kernel" in err


def test_mask_shape_mismatch(image_file, tmp_path, capsys, no_solve):
    mask_file = tmp_path / "mask.png"
    io.imwrite(mask_file, np.ones((SIZE // 2, SIZE, 1), np.float32))
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "inpaint", "tikhonov", "--mask", str(mask_file)))
    assert "mask shape" in err and f"({SIZE // 2}, {SIZE}, 1)" in err


def test_missing_mask_file(image_file, tmp_path, capsys, no_solve):
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "inpaint", "tikhonov",
                                  "--mask", str(tmp_path / "nomask.png")))
    assert "--mask" in err and "not found" in err


def test_kernel_larger_than_image(image_file, tmp_path, capsys, no_solve):
    kernel_file = tmp_path / "big.npy"
    np.save(kernel_file, np.full((SIZE + 1, 3), 1.0 / (3 * SIZE + 3), np.float32))
    err = _error(capsys, _restore(image_file, tmp_path / "o.png", "deblur", "tikhonov", "--kernel", str(kernel_file)))
    assert "larger than the image" in err


@pytest.mark.parametrize("name, words", [("o.xyz", "unsupported extension"),
                                         (os.path.join("no_dir", "o.png"), "does not exist")])
def test_bad_output_path(name, words, image_file, tmp_path, capsys, no_solve):
    err = _error(capsys, _restore(image_file, tmp_path / name))
    assert words in err


def test_argparse_rejects_unknown_task(image_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["restore", str(image_file), "-o", str(tmp_path / "o.png"), "--task", "sharpen", "--method", "tikhonov"])
    assert exc.value.code == 2
    assert "sharpen" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# methods
# ------------------------------------------------------------------------------------------------
def test_methods_lists_every_method_with_its_paper(capsys):
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    for name in jaxreg.methods.names():
        cls = jaxreg.methods.method_class(name)
        assert re.search(rf"^\s+{re.escape(name)}\s+{re.escape(cls.paper)}$", out, re.M), out


def test_methods_help_shows_parameters_and_defaults(capsys):
    assert main(["methods", "--help", "tikhonov"]) == 0
    out = capsys.readouterr().out
    assert "paper:" in out and "Tikhonov" in out
    for name, (default, _, _) in jaxreg.methods.method_class("tikhonov").parameters().items():
        assert re.search(rf"^\s+{name}\s+default {re.escape(repr(default))}", out, re.M), out


def test_methods_help_unknown_name(capsys):
    err = _error(capsys, main(["methods", "--help", "nope"]))
    assert "unknown method 'nope'" in err


def test_console_entry_point_subprocess(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-m", "jaxreg.cli", "methods"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "tikhonov" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "jaxreg.cli", "methods", "--help", "nope"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "jaxreg: error:" in bad.stderr


def test_the_command_keeps_compiled_programs_in_the_user_cache(tmp_path, image_file):
    """A second `jaxreg restore` loads its executables from ~/.cache/jaxreg/xla (here a temporary
    XDG_CACHE_HOME); JAXREG_NO_COMPILATION_CACHE turns it off."""
    env = {k: v for k, v in os.environ.items() if k not in ("JAXREG_NO_COMPILATION_CACHE", "JAX_COMPILATION_CACHE_DIR")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), JAX_PLATFORMS="cpu")
    cmd = [sys.executable, "-m", "jaxreg.cli", "restore", str(image_file), "-o", str(tmp_path / "o.png"),
           "--task", "denoise", "--method", "tv", "--set", "algorithm=admm", "--iters", "5", "--quiet"]
    compile_s = []
    for _ in range(2):
        out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        compile_s.append(float(re.search(r"compile ([0-9.]+) s", out.stdout).group(1)))
    cache = tmp_path / "cache" / "jaxreg" / "xla"
    assert cache.is_dir() and any(cache.iterdir())
    assert compile_s[1] < 0.5 * compile_s[0], compile_s
    env["JAXREG_NO_COMPILATION_CACHE"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp_path / "other")
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and not (tmp_path / "other").exists()
