"""[[phase]] tables: a run that chains LM and AdamW records one history with the switch step,
starts AdamW afresh, and resumes across the switch bit for bit."""
import os
import subprocess

import h5py
import numpy as np

from conftest import FIG3, MPIEXEC, PGDX, run_pgdx

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


def phased_config(tmp_path):
    text = FIG3.read_text().replace("steps = 2000", "")  # run.steps follows the phases
    path = tmp_path / "switch.toml"
    path.write_text(text + PHASES)
    return path


def test_switch_is_recorded_and_the_first_phase_equals_a_pure_lm_run(tmp_path):
    config = phased_config(tmp_path)
    run_pgdx(["train", config, "--set", "run.record_every=7", "--out", tmp_path / "a", "--quiet"], check=True)
    run_pgdx(["train", FIG3, "--set", "optimizer.name=lm", "--set", "optimizer.mu=0.1", "--set", "run.steps=20",
              "--set", "run.record_every=7", "--out", tmp_path / "b", "--quiet"], check=True)
    with h5py.File(tmp_path / "a" / "switch_lm_then_adamw_seed0.h5", "r") as f, \
            h5py.File(next((tmp_path / "b").glob("*.h5")), "r") as lm:
        assert f.attrs["optimizer"] == "lm+adamw" and f.attrs["steps_completed"] == 50
        assert list(f["/phases/end_step"][:]) == [20, 50]
        steps, phase = f["/history/step"][:], f["/history/phase"][:]
        assert list(steps) == [0, 7, 14, 20, 21, 28, 35, 42, 49, 50]  # the switch step is recorded
        assert list(phase) == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
        assert np.isnan(f["/history/mu"][4]) and f["/history/mu"][3] == 0.1  # AdamW has no damping
        # Up to the switch the run is a pure LM run, bit for bit.
        assert np.array_equal(f["/history/train_loss"][:4], lm["/history/train_loss"][:])


def test_resume_across_the_switch_equals_an_uninterrupted_run(tmp_path):
    config = phased_config(tmp_path)
    whole = tmp_path / "whole"
    run_pgdx(["train", config, "--out", whole, "--quiet"], check=True)
    parts = tmp_path / "parts"
    cmd = [MPIEXEC, "-n", "1", PGDX, "train", str(config), "--out", str(parts), "--quiet"]
    stopped = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PGDX_RAISE_SIGTERM_AT_STEP": "20"})
    assert stopped.returncode == 0, stopped.stderr
    name = "switch_lm_then_adamw_seed0.h5"
    with h5py.File(parts / name, "r") as f:
        assert f.attrs["status"] == "interrupted" and f["/checkpoint/step"][0] == 20
    subprocess.run(cmd + ["--resume"], check=True, capture_output=True, timeout=300)
    with h5py.File(parts / name, "r") as a, h5py.File(whole / name, "r") as b:
        assert a.attrs["status"] == "completed"
        for key in ("train_loss", "phase", "lr", "weight_norm"):
            assert np.array_equal(a["/history/" + key][:], b["/history/" + key][:], equal_nan=True), key
        assert np.array_equal(a["/final/params"][:], b["/final/params"][:])
