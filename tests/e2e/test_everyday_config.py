"""Everyday use of configs (issue 16): progress columns without a value print '-', a phased job
shortened with run.steps, --set phase[i].KEY, and task.data_dir found from any working directory."""
import math
import os
import re
import subprocess
import tomllib

import h5py
import numpy as np
import pytest

from conftest import FIG3, PGDX, SOURCE_DIR, run_pgdx

SMOKE_FIG7 = SOURCE_DIR / "jobs" / "smoke_fig7_mnist_switch.toml"
FIG7_NAME = "smoke_fig7_mnist_switch_lm_then_adamw_seed0.h5"
MNIST_DATA = SOURCE_DIR / "data" / "mnist"

PHASES = """
[[phase]]
steps = 20
[phase.optimizer]
name = "lm"
mu = 0.1

[[phase]]
steps = 30
[phase.optimizer]
name = "adamw"
lr = 0.001
weight_decay = 0.1
"""
PHASED_NAME = "switch_lm_then_adamw_seed0.h5"
TINY_MNIST = ["--set", "task.train_per_class=5", "--set", "run.batch_size=0"]  # 50 digits, full batch: fast steps


def pgdx(args, cwd=None, env=None):
    """pgdx run directly (one rank), from `cwd`, with `env` added to the environment."""
    return subprocess.run([PGDX, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, **(env or {})})


def progress_rows(stdout):
    """The progress lines as {column: cell} dicts, cells as printed."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["step", "train_loss", "test_loss"])
    columns = lines[header].split()
    rows = [dict(zip(columns, line.split())) for line in lines[header + 1:] if re.match(r"\s*\d+/\d+ ", line)]
    assert rows and all(len(row) == len(columns) for row in rows)
    return rows


def summary_test_loss(stdout):
    return re.search(r"^pgdx: \w+  steps \d+  train_loss \S+  test_loss (\S+)  wall", stdout, re.M).group(1)


def one_line_error(result):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# Progress lines ---------------------------------------------------------------------------------

def test_a_task_without_a_test_set_prints_a_dash_for_test_loss_and_mu_not_nan(out_dir):
    result = run_pgdx(["train", FIG3, "--set", "run.steps=4", "--out", out_dir], check=True)  # SGD: no μ
    rows = progress_rows(result.stdout)
    assert [row["step"] for row in rows] == ["0/4", "1/4", "2/4", "3/4", "4/4"]
    assert all(row["test_loss"] == "-" and row["mu"] == "-" for row in rows)
    assert all(math.isfinite(float(row["train_loss"])) for row in rows)
    assert rows[0]["steps/s"] == "-" and rows[0]["ETA"] == "-"  # no rate before a second line
    assert float(rows[-1]["steps/s"]) > 0
    assert "nan" not in result.stdout
    assert summary_test_loss(result.stdout) == "-"


def test_a_run_with_a_test_set_prints_its_test_loss_and_lm_its_damping(out_dir):
    task = ["task.name=modular_mlp", "task.modulus=7", "model.layers=[14,8,7]"]  # has a test set
    args = ["train", FIG3, "--out", out_dir, "--set", "run.steps=3", "--set", "optimizer.name=lm",
            "--set", "optimizer.mu=0.1"]
    result = run_pgdx(args + [a for kv in task for a in ("--set", kv)], check=True)
    rows = progress_rows(result.stdout)
    assert len(rows) == 4
    with h5py.File(next(out_dir.glob("*.h5")), "r") as f:
        test_loss = f["/history/test_loss"][:]
    assert [float(row["test_loss"]) for row in rows] == pytest.approx(test_loss, rel=1e-6)
    assert rows[0]["mu"] == "-"  # step 0: no step, no damping yet
    assert [float(row["mu"]) for row in rows[1:]] == [0.1, 0.1, 0.1]
    assert float(summary_test_loss(result.stdout)) == pytest.approx(test_loss[-1], rel=1e-6)


def test_a_diverged_loss_still_prints_as_a_number_that_is_not_finite(out_dir):
    result = run_pgdx(["train", FIG3, "--set", "run.steps=5", "--set", "optimizer.lr=1e200", "--out", out_dir],
                      check=True)
    last = progress_rows(result.stdout)[-1]
    assert last["step"] == "1/5" and not math.isfinite(float(last["train_loss"]))  # "inf" or "nan", never "-"
    assert last["test_loss"] == "-"
    assert "diverged" in result.stdout


# Phased jobs cut by run.steps, and --set phase[i].KEY ------------------------------------------

def phased_config(tmp_path):
    """The Fig. 3 job with LM for 20 steps, then AdamW for 30 (as tests/e2e/test_phases.py)."""
    path = tmp_path / "switch.toml"
    path.write_text(FIG3.read_text().replace("steps = 2000", "") + PHASES)
    return path


@pytest.fixture(scope="module")
def short_fig7(tmp_path_factory):
    """The smoke Fig. 7 job (LM 4 steps, then AdamW 11) cut to 6 steps, with AdamW's rate set by
    --set phase[1].optimizer.lr, run from outside the repository (absolute job path): stopped by
    SIGTERM at step 3 from one directory, resumed from another."""
    root = tmp_path_factory.mktemp("short_fig7")
    out = root / "runs"
    first, second = root / "first", root / "second"
    first.mkdir()
    second.mkdir()
    args = ["train", SMOKE_FIG7, "--out", out, "--set", "run.steps=6", "--set", "phase[1].optimizer.lr=0.01",
            *TINY_MNIST]
    stopped = pgdx(args, cwd=first, env={"PGDX_RAISE_SIGTERM_AT_STEP": "3"})
    assert stopped.returncode == 0, stopped.stderr
    resumed = pgdx(args + ["--resume"], cwd=second)
    assert resumed.returncode == 0, resumed.stderr
    return out / FIG7_NAME, stopped, resumed


def test_a_shortened_phased_mnist_job_stops_at_run_steps_and_says_which_phases_ran(short_fig7):
    path, stopped, resumed = short_fig7
    assert "for steps 5-6 (run.steps = 6 cuts it)" in stopped.stdout
    assert "resuming after step 3" in resumed.stdout
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "completed" and f.attrs["steps_completed"] == 6
        assert f.attrs["optimizer"] == "lm+adamw" and f.attrs["phases_run"] == 2
        assert list(f["/phases/end_step"][:]) == [4, 6]
        assert list(f["/phases/planned_end_step"][:]) == [4, 15]
        assert list(f["/history/step"][:]) == [0, 1, 2, 3, 4, 5, 6]
        assert list(f["/history/phase"][:]) == [0, 0, 0, 0, 0, 1, 1]
        assert np.isnan(f["/history/mu"][5]) and f["/history/lr"][5] == 0.01  # AdamW at the set rate
        assert f.attrs["resumed_from_step"] == 3


def test_set_phase_i_changes_that_phase_in_the_stored_config(short_fig7):
    path = short_fig7[0]
    with h5py.File(path, "r") as f:
        config, overrides = f.attrs["config"], f.attrs["overrides"]
    stored = tomllib.loads(config)
    assert [phase["optimizer"]["lr"] for phase in stored["phase"]] == [1.0, 0.01]  # the job file says 1e-3
    assert [phase["steps"] for phase in stored["phase"]] == [4, 11] and stored["run"]["steps"] == 6
    assert overrides == "run.steps=6;phase[1].optimizer.lr=0.01;task.train_per_class=5;run.batch_size=0"


def test_a_run_outside_the_repository_finds_the_digits_from_the_job_file(short_fig7):
    path = short_fig7[0]
    with h5py.File(path, "r") as f:
        assert f.attrs["data_dir"] == str(MNIST_DATA)  # found from the job file's place, not the cwd
        assert "data_dir = 'data/mnist'" in f.attrs["config"]  # the stored config keeps what was written


def test_a_budget_inside_the_first_phase_runs_no_later_phase(tmp_path):
    config = phased_config(tmp_path)
    result = run_pgdx(["train", config, "--set", "run.steps=12", "--set", "run.record_every=5", "--out",
                       tmp_path / "short"], check=True)
    assert "not run: run.steps = 12 ends the run before it" in result.stdout
    run_pgdx(["train", config, "--set", "run.record_every=5", "--out", tmp_path / "whole", "--quiet"], check=True)
    with h5py.File(tmp_path / "short" / PHASED_NAME, "r") as f, \
            h5py.File(tmp_path / "whole" / PHASED_NAME, "r") as whole:
        assert f.attrs["steps_completed"] == 12 and f.attrs["phases_run"] == 1
        assert whole.attrs["phases_run"] == 2
        assert list(f["/phases/end_step"][:]) == [12, 12]
        assert list(f["/phases/planned_end_step"][:]) == [20, 50]
        assert list(f["/history/step"][:]) == [0, 5, 10, 12] and list(f["/history/phase"][:]) == [0, 0, 0, 0]
        # Up to its end the short run is the whole run's first steps, bit for bit.
        assert np.array_equal(f["/history/train_loss"][:3], whole["/history/train_loss"][:3])


def test_resume_of_a_shortened_phased_run_equals_an_uninterrupted_one(tmp_path):
    config = phased_config(tmp_path)
    args = ["train", config, "--set", "run.steps=35", "--quiet"]
    run_pgdx(args + ["--out", tmp_path / "whole"], check=True)
    parts = tmp_path / "parts"
    stopped = pgdx(args + ["--out", parts], env={"PGDX_RAISE_SIGTERM_AT_STEP": "25"})
    assert stopped.returncode == 0, stopped.stderr
    with h5py.File(parts / PHASED_NAME, "r") as f:
        assert f.attrs["status"] == "interrupted" and f["/checkpoint/step"][0] == 25
    resumed = pgdx(args + ["--out", parts, "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    with h5py.File(parts / PHASED_NAME, "r") as a, h5py.File(tmp_path / "whole" / PHASED_NAME, "r") as b:
        assert a.attrs["status"] == "completed" and a.attrs["steps_completed"] == 35
        assert list(a["/phases/end_step"][:]) == list(b["/phases/end_step"][:]) == [20, 35]
        assert a.attrs["phases_run"] == b.attrs["phases_run"] == 2
        for key in ("step", "train_loss", "phase", "lr", "mu", "weight_norm"):
            assert np.array_equal(a["/history/" + key][:], b["/history/" + key][:], equal_nan=True), key
        assert np.array_equal(a["/final/params"][:], b["/final/params"][:])


def test_run_steps_above_the_phases_sum_and_bad_phase_keys_are_one_line_errors(tmp_path):
    config = phased_config(tmp_path)
    out = tmp_path / "out"
    for override, expected in (
            ("run.steps=51", "key 'run.steps': is 51 but the phases add up to 50"),
            ("phase[2].optimizer.lr=0.1", "key 'phase[2].optimizer.lr': no phase[2]: the config has 2 [[phase]] "
                                          "tables, phase[0] to phase[1]"),
            ("phase[-1].steps=3", "key 'phase[-1].steps': 'phase[-1]' is not of the form name[i]"),
            ("phase[1].optimizer.lrr=0.1", "key 'phase[1].optimizer.lrr': unknown key"),
            ("phase[0].steps=0", "key 'phase[0].steps': is required: an integer >= 1")):
        line = one_line_error(run_pgdx(["train", config, "--set", override, "--out", out]))
        assert line.startswith(f"pgdx: error: {config}: ") and expected in line, line
    assert not out.exists()  # nothing written


# task.data_dir ------------------------------------------------------------------------------------

def test_digits_not_found_is_one_line_naming_the_key_and_every_place_looked(tmp_path):
    result = pgdx(["train", SMOKE_FIG7, "--set", "task.data_dir=no/such/dir", "--set", "run.steps=1", "--out",
                   tmp_path / "out"], cwd=tmp_path)
    line = one_line_error(result)
    assert f"{SMOKE_FIG7}: key 'task.data_dir': 'no/such/dir' is not a directory at " in line
    places = [SOURCE_DIR / "jobs" / "no/such/dir", SOURCE_DIR / "no/such/dir", tmp_path / "no/such/dir"]
    assert ", ".join(map(str, places)) in line  # the job file's directory, up to the repository root, the cwd
    assert not list((tmp_path / "out").glob("*.h5*"))


def test_pgdx_data_dir_is_the_one_place_a_relative_data_dir_is_looked_for(tmp_path):
    """Set, it replaces the search (the digits at the repository root are not used): a wrong one fails.
    (That a directory there is used: tests/unit/test_data_dir.cpp.)"""
    root = tmp_path / "data_root"
    result = pgdx(["train", SMOKE_FIG7, "--set", "run.steps=0", "--out", tmp_path / "out"],
                  env={"PGDX_DATA_DIR": str(root)})
    line = one_line_error(result)
    assert line.endswith(f"key 'task.data_dir': 'data/mnist' is not a directory at {root / 'data' / 'mnist'} "
                         "(only there, as PGDX_DATA_DIR is set)")
