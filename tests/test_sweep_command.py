"""The `jaxreg sweep` command: outputs, two local processes (jax.distributed) equal one, a killed worker fails the
command cleanly, shards merge to the one-process result, and bad grid specs fail before compiling."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import jax

import jaxreg
from jaxreg import _driver, data, io, methods, problems
from jaxreg.cli import main

REPO = Path(__file__).resolve().parents[1]
GRID = ["--grid", "lam=0.02:0.5:5"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep_cmd")
    x = data.sample_image("astronaut", size=24)
    io.imwrite(d / "clean.png", x)
    io.imwrite(d / "noisy.png", np.clip(np.asarray(data.add_gaussian_noise(jax.random.key(1), x, 0.1)), 0, 1))
    return d


def _args(files, out, *extra):
    return ["sweep", str(files / "noisy.png"), "--task", "denoise", "--sigma", "0.1", "--method", "tv", *GRID,
            "--iters", "30", "--set", "tol=0", "-o", str(out), "--reference", str(files / "clean.png"),
            "--criteria", "sure", "--quiet", *extra]


def _run(args, timeout=240):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "-m", "jaxreg.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def one_process(files):
    out = files / "one"
    assert main(_args(files, out)) == 0
    return out


def test_outputs_of_a_sweep(files, one_process, capsys):
    rec = json.loads((one_process / "results.json").read_text())
    images = np.load(one_process / "images.npy")
    assert images.shape == (5, 24, 24, 3) and images.dtype == np.float32
    np.testing.assert_allclose(rec["params"]["lam"], np.geomspace(0.02, 0.5, 5))
    assert set(rec["scores"]) == {"psnr", "ssim", "sure"} and all(len(v) == 5 for v in rec["scores"].values())
    assert rec["status"] == ["MAX_ITERS"] * 5 and rec["iterations"] == [30] * 5
    assert rec["strategy"] in ("map", "vmap") and rec["timings"]["compile_s"] > 0
    assert rec["jaxreg"] == jaxreg.__version__ and "commit" in rec and rec["command"].startswith("jaxreg sweep")
    best = rec["best"]
    assert best["metric"] == "psnr" and best["index"] == int(np.argmax(rec["scores"]["psnr"]))
    # the same numbers as the library's sweep
    y = io.imread(files / "noisy.png")
    s = jaxreg.sweep(problems.Denoise(y, sigma=0.1), methods.get("tv", tol=0.0), {"lam": np.geomspace(0.02, 0.5, 5)},
                     key=jax.random.key(0), num_iters=30, reference=io.imread(files / "clean.png"))
    np.testing.assert_allclose(images, np.asarray(s.images), atol=1e-6)
    assert sorted(p.name for p in (one_process / "points").iterdir()) == [f"{i}.png" for i in range(5)]
    sheet = io.imread(one_process / "contact_sheet.png")
    assert sheet.shape[0] >= 2 * 96 and sheet.shape[1] >= 3 * 96  # 5 tiles in a 3-column grid, enlarged to 96 px
    # the best tile is framed in red
    red = (sheet[..., 0] > 0.8) & (sheet[..., 1] < 0.1) & (sheet[..., 2] < 0.1)
    assert red.sum() > 4 * 96


def test_two_local_processes_equal_one(files, one_process):
    out = files / "two"
    r = _run(_args(files, out, "--processes", "2"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "on 2 process(es)" in r.stdout
    a, b = (json.loads((d / "results.json").read_text()) for d in (one_process, out))
    assert a["params"] == b["params"] and b["processes"] == 2 and b["devices"] == 2
    np.testing.assert_allclose(np.load(out / "images.npy"), np.load(one_process / "images.npy"), atol=1e-6)
    np.testing.assert_allclose(b["scores"]["sure"], a["scores"]["sure"], rtol=1e-5)
    assert (out / "contact_sheet.png").is_file()


@pytest.mark.slow  # three processes compiling DIP's skip network: a few minutes on 2 cores
def test_two_local_processes_equal_one_for_a_small_dip(files):
    x = data.sample_image("astronaut", size=48)  # the skip network needs at least 33 pixels a side
    io.imwrite(files / "noisy48.png", np.clip(np.asarray(data.add_gaussian_noise(jax.random.key(1), x, 0.1)), 0, 1))
    common = ["sweep", str(files / "noisy48.png"), "--task", "denoise", "--method", "dip", "--grid",
              "lr=0.01,0.02,0.03", "--iters", "3", "--quiet", "--set", "input_depth=4", "--set", "stopping=none"]
    one, two = files / "dip1", files / "dip2"
    assert main(common + ["-o", str(one)]) == 0
    r = _run(common + ["-o", str(two), "--processes", "2"], timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = (json.loads((d / "results.json").read_text()) for d in (one, two))
    assert a["params"] == b["params"]
    np.testing.assert_allclose(np.load(two / "images.npy"), np.load(one / "images.npy"), atol=1e-6)


def test_a_killed_worker_fails_the_command_and_leaves_no_process(files):
    out = files / "killed"
    args = ["sweep", str(files / "noisy.png"), "--task", "denoise", "--sigma", "0.1", "--method", "tv", *GRID,
            "--iters", "1000000", "--set", "tol=0", "-o", str(out), "--quiet", "--processes", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "jaxreg.cli", *args], cwd=REPO, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "JAX_PLATFORMS": "cpu"},
                            start_new_session=True)
    pids = {}
    try:
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            line = proc.stderr.readline()
            m = re.search(r"started worker (\d) of 2 \(pid (\d+)\)", line)
            if m:
                pids[int(m.group(1))] = int(m.group(2))
        assert len(pids) == 2, "the workers did not start"
        time.sleep(8)  # let them join and start computing
        assert proc.poll() is None, "the sweep ended before a worker could be killed"
        t0 = time.monotonic()
        os.kill(pids[1], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
    assert elapsed < 60
    assert "worker 1" in err and "killed by signal 9" in err
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (out / "results.json").exists()


def test_shards_merge_to_the_one_process_result(files, one_process):
    shards = [files / f"shard{i}" for i in range(2)]
    for i, d in enumerate(shards):
        assert main(_args(files, d, "--shard", f"{i}/2")) == 0
    assert len(json.loads((shards[0] / "results.json").read_text())["indices"]) == 3
    merged = files / "merged"
    assert main(["sweep", "merge", *map(str, shards), "-o", str(merged)]) == 0
    a, b = (json.loads((d / "results.json").read_text()) for d in (one_process, merged))
    assert a["params"] == b["params"] and b["indices"] == list(range(5))
    np.testing.assert_allclose(b["scores"]["psnr"], a["scores"]["psnr"], atol=1e-5)
    assert b["best"]["index"] == a["best"]["index"]
    np.testing.assert_allclose(np.load(merged / "images.npy"), np.load(one_process / "images.npy"), atol=1e-6)
    assert (merged / "contact_sheet.png").is_file() and len(list((merged / "points").iterdir())) == 5
    # a missing shard, or a folder of another sweep, is refused
    assert main(["sweep", "merge", str(shards[0]), "-o", str(files / "m2")]) == 2
    assert main(["sweep", "merge", str(shards[0]), str(one_process), "-o", str(files / "m3")]) == 2


def test_checkpointed_sweep_resumes_and_equals_the_plain_run(files, one_process, capsys):
    out, ckpt = files / "ckpt_out", files / "ckpt"
    args = _args(files, out, "--checkpoint", str(ckpt), "--checkpoint-every", "10")
    assert main(args) == 0
    assert len(list(ckpt.iterdir())) >= 1  # one chunk of 30 iterations: the final checkpoint
    first = json.loads((out / "results.json").read_text())
    assert main(args) == 0  # a finished sweep returns at once from its last checkpoint
    again = json.loads((out / "results.json").read_text())
    assert again["timings"]["resumed_from"] == 30 and first["timings"]["resumed_from"] == 0
    np.testing.assert_array_equal(np.load(out / "images.npy"), np.load(one_process / "images.npy"))
    assert main(_args(files, out, "--checkpoint-every", "10")) == 2
    assert "--checkpoint-every goes with --checkpoint" in capsys.readouterr().err
    assert main(_args(files, out, "--checkpoint", str(ckpt), "--processes", "2")) == 2
    assert "one process" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--grid", "nope=1,2"], "'nope' is not a parameter of method 'tv'"),
    (["--grid", "lam=a,b"], "expected a:b:n or comma-separated numbers"),
    (["--grid", "lam="], "expects name=a:b:n"),
    (["--grid", "lam=,"], "no finite values"),
    (["--grid", "isotropic=1,0"], "structural setting"),
    (["--grid", "lam=0.1,0.2", "--grid", "rho=1,2,3", "--grid-mode", "zip"], "one length"),
    (["--grid", "lam=0.1,-0.2"], "grid point"),
    (["--grid", "lam=0.1", "--processes", "0"], "--processes must be at least 1"),
    (["--grid", "lam=0.1,0.2", "--shard", "2/2"], "--shard 2/2"),
    (["--grid", "lam=0.1,0.2", "--shard", "0/3"], "only 2 point"),
    (["--grid", "lam=0.1,0.2", "--shard", "a"], "--shard expects I/N"),
    (["--grid", "lam=0.1", "--set", "lam=0.2"], "both swept"),
])
def test_bad_specs_fail_before_compiling(files, extra, message, capsys, monkeypatch):
    monkeypatch.setattr(_driver, "compiled", lambda *a: pytest.fail("compiled before the check"))
    args = ["sweep", str(files / "noisy.png"), "--task", "denoise", "--method", "tv", "--iters", "5",
            "-o", str(files / "bad"), *extra]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (files / "bad" / "results.json").exists()
