"""Run checkpoints: a run killed by SIGKILL (after a checkpoint, or in the middle of writing one) and run again
gives bit for bit the image of an uninterrupted run; corrupted, foreign and mismatched checkpoints are handled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import jax
import pytest

import jaxreg
from jaxreg import data, methods, problems
from jaxreg.checkpoint import SUFFIX

REPO = Path(__file__).resolve().parents[1]

# the child: a small DIP solve (or a 2-point sweep) that writes its image and how far it resumed
CHILD = r"""
import json, sys
import numpy as np, jax, jaxreg
from jaxreg import data, methods, problems
from jaxreg.nets import Skip
kind, directory, out, iters = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
x = data.sample_image("astronaut", size=48)
p = problems.Denoise(data.add_gaussian_noise(jax.random.key(1), x, 0.1))
m = methods.get("dip", net=Skip.uniform(3, 16, 16, 4, out_channels=3), input_depth=8, stopping="none")
kw = dict(key=jax.random.key(0), num_iters=iters, chunk_size=10, checkpoint=directory, checkpoint_every=10)
if kind == "solve":
    r = jaxreg.solve(p, m, **kw)
    image = r.image
else:
    r = jaxreg.sweep(p, m, {"lr": [0.01, 0.02]}, **kw)
    image = r.images
np.save(out, np.asarray(image))
print(json.dumps({"resumed_from": r.timings["resumed_from"]}))
"""


def _reference(kind, iters):
    from jaxreg.nets import Skip
    x = data.sample_image("astronaut", size=48)
    p = problems.Denoise(data.add_gaussian_noise(jax.random.key(1), x, 0.1))
    m = methods.get("dip", net=Skip.uniform(3, 16, 16, 4, out_channels=3), input_depth=8, stopping="none")
    kw = dict(key=jax.random.key(0), num_iters=iters, chunk_size=10)
    if kind == "solve":
        return np.asarray(jaxreg.solve(p, m, **kw).image)
    return np.asarray(jaxreg.sweep(p, m, {"lr": [0.01, 0.02]}, **kw).images)


def _start(kind, directory, out, iters, env=None):
    return subprocess.Popen([sys.executable, "-c", CHILD, kind, str(directory), str(out), str(iters)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})})


def _finish(proc, timeout=300):
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr[-2000:]
    return json.loads(stdout.strip().splitlines()[-1])


def _kill_after_first_checkpoint(proc, directory, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {proc.stderr.read()[-2000:]}")
        if any(directory.glob(f"run-*{SUFFIX}")):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    pytest.fail("no checkpoint appeared")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["solve", "sweep"])
def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path, kind):
    iters = 200
    directory = tmp_path / "ckpt"
    proc = _start(kind, directory, tmp_path / "a.npy", iters)
    _kill_after_first_checkpoint(proc, directory)
    assert proc.returncode == -signal.SIGKILL
    info = _finish(_start(kind, directory, tmp_path / "b.npy", iters))
    assert 0 < info["resumed_from"] < iters  # it resumed inside the run, not from the start or the end
    resumed = np.load(tmp_path / "b.npy")
    np.testing.assert_array_equal(resumed, _reference(kind, iters))  # bitwise
    # the finished run is returned at once, still equal
    again = _finish(_start(kind, directory, tmp_path / "c.npy", iters))
    assert again["resumed_from"] == iters
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), resumed)


@pytest.mark.slow
def test_a_run_killed_while_writing_a_checkpoint_resumes_from_the_previous_one(tmp_path):
    iters = 60
    directory = tmp_path / "ckpt"
    proc = _start("solve", directory, tmp_path / "a.npy", iters, env={"JAXREG_TEST_KILL_DURING_CHECKPOINT": "3"})
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    names = sorted(p.name for p in directory.iterdir())
    assert [n for n in names if n.endswith(SUFFIX)] == [f"run-000000010{SUFFIX}", f"run-000000020{SUFFIX}"]
    assert any(".tmp" in n for n in names)  # the half-written file of iteration 30
    info = _finish(_start("solve", directory, tmp_path / "b.npy", iters))
    assert info["resumed_from"] == 20
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), _reference("solve", iters))


# ------------------------------------------------------------------ in-process: cheap method, every failure mode
@pytest.fixture(scope="module")
def case():
    x = data.sample_image("astronaut", size=32)
    return problems.Denoise(data.add_gaussian_noise(jax.random.key(1), x, 0.1)), methods.get("tv", lam=0.05, tol=0.0)


def _solve(case, directory, **kw):
    p, m = case
    args = dict(key=jax.random.key(0), num_iters=40, chunk_size=10, checkpoint=directory, checkpoint_every=10)
    args.update(kw)
    p = args.pop("problem", p)
    m = args.pop("method", m)
    return jaxreg.solve(p, m, **args)


def _newest(directory):
    return sorted(directory.glob(f"run-*{SUFFIX}"))[-1]


def test_two_newest_checkpoints_are_kept_and_a_finished_run_is_returned_at_once(case, tmp_path):
    d = tmp_path / "c"
    first = _solve(case, d)
    assert sorted(p.name for p in d.iterdir()) == [f"run-000000030{SUFFIX}", f"run-000000040{SUFFIX}"]
    second = _solve(case, d)
    assert second.timings["resumed_from"] == 40
    np.testing.assert_array_equal(second.image, first.image)
    np.testing.assert_array_equal(second.history["objective"], first.history["objective"])


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(case, tmp_path, damage):
    d = tmp_path / "c"
    plain = jaxreg.solve(case[0], case[1], key=jax.random.key(0), num_iters=40, chunk_size=10)
    _solve(case, d)
    newest = _newest(d)
    blob = bytearray(newest.read_bytes())
    if damage == "truncate":
        newest.write_bytes(bytes(blob[: len(blob) // 3]))
    else:
        blob[len(blob) // 2] ^= 0x10
        newest.write_bytes(bytes(blob))
    with pytest.warns(RuntimeWarning, match="run-000000040"):
        again = _solve(case, d)
    assert again.timings["resumed_from"] == 30
    np.testing.assert_array_equal(again.image, plain.image)


def test_no_valid_checkpoint_is_a_clear_error(case, tmp_path):
    d = tmp_path / "c"
    _solve(case, d)
    for f in d.iterdir():
        f.write_bytes(f.read_bytes()[:50])
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match="no valid checkpoint"):
        _solve(case, d)


@pytest.mark.parametrize("change, field", [
    ({"method": methods.get("tv", lam=0.06)}, "method"),
    ({"key": jax.random.key(1)}, "key"),
    ({"num_iters": 50}, "num_iters"),
    ({"problem": problems.Denoise(data.sample_image("astronaut", size=32))}, "problem"),
])
def test_a_different_run_in_the_directory_is_refused_naming_what_differs(case, tmp_path, change, field):
    d = tmp_path / "c"
    _solve(case, d)
    with pytest.raises(ValueError, match=f"holds a different run: {field} differs"):
        _solve(case, d, **change)


def test_foreign_directories_and_bad_arguments_are_refused_before_compiling(case, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not jaxreg run checkpoints"):
        _solve(case, foreign)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="must be a directory"):
        _solve(case, a_file)
    with pytest.raises(ValueError, match="its parent does not exist"):
        _solve(case, tmp_path / "missing" / "c")
    for every in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="checkpoint_every must be a positive integer"):
            _solve(case, tmp_path / "ok", checkpoint_every=every)
    assert not (tmp_path / "ok").exists()


def test_sweep_checkpoints_resume(case, tmp_path):
    p, m = case
    kw = dict(key=jax.random.key(0), num_iters=40, chunk_size=10)
    plain = jaxreg.sweep(p, m, {"lam": [0.02, 0.05, 0.1]}, **kw)
    d = tmp_path / "s"
    jaxreg.sweep(p, m, {"lam": [0.02, 0.05, 0.1]}, checkpoint=d, checkpoint_every=20, **kw)
    _newest(d).unlink()
    resumed = jaxreg.sweep(p, m, {"lam": [0.02, 0.05, 0.1]}, checkpoint=d, checkpoint_every=20, **kw)
    assert resumed.timings["resumed_from"] == 20
    np.testing.assert_array_equal(resumed.images, plain.images)
    with pytest.raises(ValueError, match="grid differs"):
        jaxreg.sweep(p, m, {"lam": [0.02, 0.05, 0.2]}, checkpoint=d, checkpoint_every=20, **kw)


def test_cli_restore_resumes_from_its_checkpoint(tmp_path, capsys):
    from jaxreg import io
    from jaxreg.cli import main
    noisy = tmp_path / "noisy.png"
    io.imwrite(noisy, data.add_gaussian_noise(jax.random.key(1), data.sample_image("astronaut", size=32), 0.1,
                                              clip=True))
    args = ["restore", str(noisy), "-o", str(tmp_path / "out.png"), "--task", "denoise", "--method", "tv",
            "--iters", "30", "--quiet", "--checkpoint", str(tmp_path / "ck"), "--checkpoint-every", "10"]
    assert main(args) == 0
    first = (tmp_path / "out.png").read_bytes()
    assert "resumed" not in capsys.readouterr().out
    assert main(args) == 0
    assert "resumed at iteration 30" in capsys.readouterr().out
    assert (tmp_path / "out.png").read_bytes() == first
    assert main(args[:-4] + ["--checkpoint-every", "10"]) == 2
    assert "--checkpoint-every goes with --checkpoint" in capsys.readouterr().err


def test_hidden_files_are_tolerated_and_unstable_reprs_are_refused(case, tmp_path):
    d = tmp_path / "c"
    d.mkdir()
    (d / ".DS_Store").write_bytes(b"finder")
    _solve(case, d)  # a hidden file is not "foreign"
    from jaxreg import operators as ops
    x = data.sample_image("astronaut", size=16)
    op = ops.FunctionOperator(tuple(x.shape), fn=lambda v: 0.5 * v)  # its repr names a memory address
    p = problems.CompressiveSensing(op(x), op)
    with pytest.raises(ValueError, match="names a memory address"):
        jaxreg.solve(p, methods.get("tikhonov"), key=jax.random.key(0), num_iters=5, checkpoint=tmp_path / "f")
