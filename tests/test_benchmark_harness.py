"""``benchmarks/run.py``, the entry point of the benchmark scripts: its table of cases, the argument lists it would
run (checked by each script's own parser, nothing computed), its failure detection, and one cheap quick run."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
RUN_PY = BENCH / "run.py"


def _load():
    spec = importlib.util.spec_from_file_location("jaxreg_benchmarks_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


run = _load()


def _harness(*args, timeout=300):
    return subprocess.run([sys.executable, str(RUN_PY), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


# ------------------------------------------------------------------------------------------------ the table
def test_cases_name_existing_scripts_and_complete_entries():
    assert len(run.CASES) == len(run.BY_NAME), "case names must be unique"
    for case in run.CASES:
        assert (BENCH / case.script).is_file(), f"{case.name}: no script {case.script}"
        assert not case.script.startswith("_"), f"{case.name}: {case.script} is a helper, not a benchmark"
        assert case.runs and case.quick, f"{case.name}: needs recorded and quick argument lists"
        assert case.results, f"{case.name}: names no result file"
        assert case.description and not re.search(r"paper_?\d|\d{3}_", case.description), \
            f"{case.name}: name the paper by authors, venue and year, not by an internal number"
        for r in case.quick:
            assert "--out" not in r.args or any("{tmp}" in a or "{out}" in a for a in r.args), \
                f"{case.name}: a quick run may not choose its own output folder"


def test_every_benchmark_script_has_a_case():
    not_benchmarks = ("run.py", "tables.py")  # the harness, and the generator of README's tables
    scripts = {p.name for p in BENCH.glob("*.py") if not p.name.startswith("_") and p.name not in not_benchmarks}
    assert scripts - {c.script for c in run.CASES} == set()


def test_device_list_names_cases_with_device_runs():
    assert run.DEVICE_ORDER[0] == "dip_step"
    assert len(set(run.DEVICE_ORDER)) == len(run.DEVICE_ORDER)
    for name in run.DEVICE_ORDER:
        assert run.BY_NAME[name].device, f"{name} is on the device list without device arguments"
    assert {c.name for c in run.CASES if c.device} == set(run.DEVICE_ORDER)


def test_recorded_commands_of_the_results_are_cases():
    """Every result JSON that recorded its command line is re-run by some case with the same arguments (less
    ``--out``, and ``--resume``, which only restarts a killed run)."""
    recorded = {}
    for path in (BENCH / "results").glob("*.json"):
        command = json.loads(path.read_text()).get("command")
        if command:
            recorded[path.stem] = command
    runs = {stem: r for c in run.CASES for r in c.runs for stem in r.writes}
    for stem, command in recorded.items():
        words = command.split()
        words = words[words.index(next(w for w in words if w.endswith(".py"))) + 1:]
        if "--out" in words:
            i = words.index("--out")
            del words[i:i + 2]
        if "--combine" in words:  # a combination of part files: the case re-runs the parts, then combines
            assert runs[stem].args[0] == "--combine", stem
            continue
        assert stem in runs, f"{stem}.json is written by no case"
        assert list(runs[stem].args) == [w for w in words if w != "--resume"], stem


# ------------------------------------------------------------------------------------------------ argument lists
def test_every_argument_list_parses_with_its_script():
    proc = _harness("check")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    total = sum(len(c.runs) + len(c.quick) + len(c.device) for c in run.CASES)
    assert f"{total} of {total} argument lists accepted" in proc.stdout


def test_validation_rejects_bad_arguments():
    py = sys.executable
    results = run.validate([
        [py, "benchmarks/wiener.py", "--size", "32"],
        [py, "benchmarks/wiener.py", "--no-such-option"],
        [py, "benchmarks/reproduce_ngr.py", "table9"],
        [py, "benchmarks/dip_step.py", "--sizes", "64", "big"],
        [py, "benchmarks/run.py", "_exec", "/tmp/x", "benchmarks/reproduce_alr.py", "train", "--size", "3"],
        [py, "benchmarks/no_such_script.py"],
    ])
    assert [r["ok"] for r in results] == [True, False, False, False, False, False]
    assert "unrecognized arguments: --no-such-option" in results[1]["error"]
    assert "no such script" in results[5]["error"]


def test_dry_run_prints_commands_into_the_output_folder(tmp_path):
    proc = _harness("run", "all", "--quick", "--dry-run", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("ok ", "BAD"))]
    assert len(lines) == sum(len(c.quick) for c in run.CASES)
    assert all(str(tmp_path) in line or "{tmp}" in line for line in lines)
    assert not list(tmp_path.iterdir()), "a dry run writes nothing"
    proc = _harness("run", "--device", "--dry-run", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert proc.stdout.count("\nok ") == sum(len(run.BY_NAME[n].device) for n in run.DEVICE_ORDER)


def test_quick_and_device_runs_refuse_the_recorded_results_folder():
    for mode in ("--quick", "--device"):
        proc = _harness("run", "wiener", mode, "--out", str(BENCH / "results"), "--dry-run")
        assert proc.returncode != 0 and "never writes into benchmarks/results" in proc.stderr
    proc = _harness("run", "--device", "--dry-run")
    assert proc.returncode != 0 and "needs --out" in proc.stderr
    proc = _harness("run", "no_such_case", "--quick", "--dry-run")
    assert proc.returncode != 0 and "unknown case" in proc.stderr


def test_extra_arguments_are_appended_and_never_overwrite_a_recorded_run(tmp_path):
    proc = _harness("run", "wiener", "--extra", "--sizes 32", "--dry-run")
    assert proc.returncode != 0 and "--extra changes a recorded run" in proc.stderr
    proc = _harness("run", "wiener", "--extra", "--no-such-option 1", "--out", str(tmp_path), "--dry-run")
    assert proc.returncode != 0 and "unrecognized arguments: --no-such-option" in proc.stdout
    case = run.BY_NAME["wiener"]
    cmd = run.command(case, case.runs[0], tmp_path, "/scratch", extra=("--repeats", "1"))
    assert cmd[-4:] == ["--repeats", "1", "--out", str(tmp_path)]


def test_compare_lines_up_records_by_identity_and_separates_quality_from_time():
    recorded = {"rows": [{"image": "a", "psnr": 20.0, "run_s": 2.0, "ratio": 0.9},
                         {"image": "b", "psnr": 21.0, "run_s": 4.0, "ratio": 0.8}],
                "environment": {"cores": 2}, "trajectory": [1.0, 2.0]}
    subset = {"rows": [{"image": "b", "psnr": 21.25, "run_s": 6.0, "ratio": 0.8}], "environment": {"cores": 16}}
    flat = run.flatten(recorded)
    assert flat[("rows", "[image=b]", "psnr")] == 21.0 and not any("environment" in p for p in flat)
    res = run.compare_files(recorded, subset)
    assert res["common"] == 3 and res["only_recorded"] == 3 and res["only_new"] == 0
    assert res["quality"]["max_abs_diff"] == pytest.approx(0.25) and res["quality"]["identical"] == 0
    assert res["time"]["median_ratio"] == pytest.approx(1.5) and res["ratio"]["median_ratio"] == pytest.approx(1.0)
    same = run.compare_files(recorded, recorded)
    assert same["quality"]["max_abs_diff"] == 0 and same["quality"]["identical"] == 2


def test_commands_route_output_and_placeholders(tmp_path):
    alr = run.BY_NAME["alr_train"]
    cmd = run.command(alr, alr.quick[0], tmp_path, "/scratch")
    assert cmd[1:4] == ["benchmarks/run.py", "_exec", str(tmp_path)]  # no --out for the tables: redirected
    assert cmd[-2:] == ["--out", "/scratch/alr_cnn15.msgpack"]
    wiener = run.BY_NAME["wiener"]
    assert run.command(wiener, wiener.runs[0], None, "/s") == [sys.executable, "benchmarks/wiener.py"]
    assert run.command(wiener, wiener.runs[0], tmp_path, "/s", data="/d") == [
        sys.executable, "benchmarks/wiener.py", "--data", "/d", "--out", str(tmp_path)]
    sweep = run.BY_NAME["sweep_vs_sequential"]
    part = run.command(sweep, sweep.quick[0], tmp_path, "/s")
    assert part.count("--out") == 1 and part[part.index("--out") + 1] == "/s"


# ------------------------------------------------------------------------------------------------ running
def test_run_one_reports_exit_status_and_timeout():
    r = run.run_one([sys.executable, "-c", "print('SKIPPED x: absent'); raise SystemExit(3)"],
                    time.monotonic() + 60)
    assert (r["rc"], r["timed_out"], r["skipped"]) == (3, False, True)
    t0 = time.monotonic()
    r = run.run_one([sys.executable, "-c", "import time; time.sleep(60)"], time.monotonic() + 1)
    assert r["timed_out"] and r["rc"] != 0 and time.monotonic() - t0 < 30


def test_a_case_that_writes_no_result_fails(tmp_path):
    probe = run.Case("probe", "_common.py", "probe", runs=(run.R(writes="probe"),),  # exits 0, writes nothing
                     quick=(run.R(writes="probe"),), out_option=False, data_option=False)
    rec = run.run_case(probe, "quick", tmp_path, 60, None)
    assert rec["status"].startswith("failed (not written: probe.json")


def test_quick_run_of_a_classical_case_writes_a_json_with_the_commit(tmp_path):
    proc = _harness("run", "wiener", "--quick", "--out", str(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "=== wiener [1/1]: PYTHONPATH=. python benchmarks/wiener.py --size 32" in proc.stdout
    assert "exit status 0" in proc.stdout
    result = json.loads((tmp_path / "wiener.json").read_text())
    assert "commit" in result and result["command"].startswith("python benchmarks/wiener.py --size 32")
    summary = json.loads((tmp_path / "run_summary.json").read_text())
    assert summary["mode"] == "quick" and [c["status"] for c in summary["cases"]] == ["ok"]


@pytest.mark.slow
def test_quick_run_of_a_script_without_out_option_stays_in_the_output_folder(tmp_path):
    """reproduce_alr.py writes its tables with no --out: run.py redirects them; the shipped critic is untouched."""
    results, critic = BENCH / "results" / "alr_train_cpu.json", run.SHIPPED_CRITIC
    before = (results.stat().st_mtime if results.exists() else None, critic.read_bytes())
    proc = _harness("run", "alr_train", "--quick", "--out", str(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    result = json.loads((tmp_path / "alr_train_cpu.json").read_text())
    assert "commit" in result and result["steps"] == 3
    assert (results.stat().st_mtime if results.exists() else None, critic.read_bytes()) == before


# ------------------------------------------------------------------------------------------------ figures
def test_crop_figure_lays_out_one_row_per_image_with_the_same_crop_enlarged(tmp_path):
    from PIL import Image
    spec = importlib.util.spec_from_file_location("jaxreg_benchmarks_common", BENCH / "_common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    ramp = np.linspace(0.0, 1.0, 40 * 50, dtype=np.float32).reshape(40, 50)
    rgb = np.stack([ramp, 1.0 - ramp, np.full_like(ramp, 0.25)], -1)
    rows = [("first", [("input\n12.00 dB", rgb), ("grey", ramp[..., None])]), ("second", [("only", ramp)]),
            ("empty", [])]
    path = common.crop_figure("fig", rows, str(tmp_path), box=(10, 5, 20, 25), min_tile=60)
    fig = np.asarray(Image.open(path).convert("RGB"))
    # two rows (the empty one is dropped), two columns of 20x25 crops repeated 3x (ceil(60 / 20)) -> 60x75 tiles
    pad, label_h, cap_h = 6, 16, 28
    assert fig.shape == (pad + 2 * (label_h + 60 + cap_h + pad), pad + 2 * (75 + pad), 3)
    top, left = pad + label_h, pad
    tile = fig[top:top + 60, left:left + 75].astype(np.float32) / 255.0
    want = np.repeat(np.repeat(rgb[10:30, 5:30], 3, 0), 3, 1)
    np.testing.assert_allclose(tile, want, atol=0.5 / 255 + 1e-6)
    assert common.crop_figure("none", [("a", [])], str(tmp_path)) is None
    assert not (tmp_path / "none.png").exists()
