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


UNTIL = """
[phase.until]
train_loss_below = {loss}
kernel_drift_rate_below = {rate}
"""


def conditional_config(tmp_path, loss, rate):
    """The LM → AdamW switch of phased_config, with LM ending at the first record step where the
    train loss is below `loss` and the kernel drift moved by less than `rate` per step."""
    first, second = PHASES.split("[[phase]]")[1:]
    text = FIG3.read_text().replace("steps = 2000", "") + "[[phase]]" + first + \
        UNTIL.format(loss=loss, rate=rate) + "\n[[phase]]" + second
    path = tmp_path / "switch.toml"
    path.write_text(text)
    return path


def expected_switch(f, loss_below, rate_below, planned):
    """The first record step < planned where both tests hold, from a run's own history and /lazy
    recordings (the rate from the last two recordings at or before the step)."""
    lazy_steps, drift = f["/lazy/step"][:], f["/lazy/kernel_drift"][:]
    for step, loss in zip(f["/history/step"][:], f["/history/train_loss"][:]):
        if step == 0 or step >= planned:
            continue
        k = np.searchsorted(lazy_steps, step, side="right") - 1
        rate = abs(drift[k] - drift[k - 1]) / (lazy_steps[k] - lazy_steps[k - 1]) if k >= 1 else np.nan
        if loss < loss_below and rate < rate_below:
            return int(step)
    return planned


def test_a_phase_ends_where_its_until_test_first_holds_and_the_next_takes_the_rest(tmp_path):
    overrides = ["--set", "run.ntk_every=2", "--set", "run.record_every=1", "--quiet"]
    # The fixed switch, with the kernel recorded: what the tests will see.
    fixed = tmp_path / "fixed"
    run_pgdx(["train", phased_config(tmp_path), "--out", fixed, *overrides], check=True)
    with h5py.File(fixed / "switch_lm_then_adamw_seed0.h5", "r") as f:
        early = expected_switch(f, 0.383, 6e-4, 20)
        never = expected_switch(f, 0.383, 3e-4, 20)
        lm_losses = f["/history/train_loss"][:21]  # steps 0-20: the LM phase
    assert 0 < early < 20 and never == 20  # both outcomes exercised (the Fig. 3 job's LM, η = 0.01)

    for rate, end in ((6e-4, early), (3e-4, never)):
        out = tmp_path / f"until-{rate}"
        result = run_pgdx(["train", conditional_config(tmp_path, 0.383, rate), "--out", out, *overrides[:-1]],
                          check=True)  # not --quiet: the progress lines say where the phase ended
        with h5py.File(out / "switch_lm_then_adamw_seed0.h5", "r") as f:
            assert list(f["/phases/planned_end_step"][:]) == [20, 50]
            assert list(f["/phases/end_step"][:]) == [end, 50], rate
            assert f.attrs["steps_completed"] == 50
            phase = f["/history/phase"][:]
            assert list(phase) == [0] * (end + 1) + [1] * (50 - end)
            assert np.array_equal(f["/history/train_loss"][:end + 1], lm_losses[:end + 1])
            if end < 20:
                assert "train_loss" in f.attrs["phase_0_ended_by"]
                assert f"phase 0 ends after step {end} (of at most 20)" in result.stdout
            else:
                assert "phase_0_ended_by" not in f.attrs


def test_resume_on_either_side_of_a_conditional_switch_equals_an_uninterrupted_run(tmp_path):
    config = conditional_config(tmp_path, 0.383, 6e-4)
    overrides = ["--set", "run.ntk_every=2", "--set", "run.record_every=3", "--quiet"]
    whole = tmp_path / "whole"
    run_pgdx(["train", config, "--out", whole, *overrides], check=True)
    name = "switch_lm_then_adamw_seed0.h5"
    with h5py.File(whole / name, "r") as f:
        switch = int(f["/phases/end_step"][0])
    assert 3 < switch < 20
    for stop in (switch - 2, switch + 2):  # before the test holds, and after the switch
        parts = tmp_path / f"parts{stop}"
        cmd = [MPIEXEC, "-n", "1", PGDX, "train", str(config), "--out", str(parts), *overrides]
        stopped = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                                 env={**os.environ, "PGDX_RAISE_SIGTERM_AT_STEP": str(stop)})
        assert stopped.returncode == 0, stopped.stderr
        subprocess.run(cmd + ["--resume"], check=True, capture_output=True, timeout=300)
        with h5py.File(parts / name, "r") as a, h5py.File(whole / name, "r") as b:
            assert a.attrs["status"] == "completed"
            assert list(a["/phases/end_step"][:]) == list(b["/phases/end_step"][:]), stop
            for key in ("history/train_loss", "history/phase", "lazy/step", "lazy/kernel_drift",
                        "ntk/rate_measured", "ntk/rate_predicted"):  # the kernel diagnostic's memory is checkpointed
                assert np.array_equal(a[key][:], b[key][:], equal_nan=True), (stop, key)
            assert np.array_equal(a["/final/params"][:], b["/final/params"][:])
