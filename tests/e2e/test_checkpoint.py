"""Checkpoint/restart: a run stopped by SIGTERM and resumed equals an uninterrupted run bit for
bit (same rank count); SIGKILL leaves only a .partial file; a periodic checkpoint survives a crash."""
import os
import signal
import subprocess

import h5py
import numpy as np
import pytest

from conftest import FIG3, MPIEXEC, PGDX

LM = ["optimizer.name=lm", "optimizer.mu=0.1", "run.steps=600"]
ADAM_MINIBATCH = ["optimizer.name=adam", "optimizer.lr=1e-3", "run.batch_size=30", "run.steps=600"]


def sets(variant):
    return [arg for kv in variant for arg in ("--set", kv)]


def train(out, variant, ranks, env=None, resume=False):
    args = ["train", FIG3, *sets(variant), "--out", out, "--quiet"] + (["--resume"] if resume else [])
    cmd = [MPIEXEC, "-n", str(ranks), PGDX, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def assert_same_run(path_a, path_b):
    with h5py.File(path_a, "r") as a, h5py.File(path_b, "r") as b:
        for name in b["/history"]:
            if name != "step_seconds":  # a timing, not a result
                assert np.array_equal(a["/history/" + name][:], b["/history/" + name][:], equal_nan=True), name
        assert np.array_equal(a["/spectral/fft_error"][:], b["/spectral/fft_error"][:])
        assert np.array_equal(a["/final/params"][:], b["/final/params"][:])


@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("variant", [LM, ADAM_MINIBATCH], ids=["lm", "adam-minibatch"])
def test_sigterm_then_resume_equals_an_uninterrupted_run(tmp_path, variant, ranks):
    stopped = train(tmp_path / "a", variant, ranks, env={"PGDX_RAISE_SIGTERM_AT_STEP": "250"})
    assert stopped.returncode == 0, stopped.stderr
    assert "interrupted" in stopped.stdout and "--resume" in stopped.stderr
    path = next((tmp_path / "a").glob("*.h5"))
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "interrupted"
        assert f["/checkpoint/step"][0] == 250 and f["/history/step"][-1] == 250
    resumed = train(tmp_path / "a", variant, ranks, resume=True)
    assert resumed.returncode == 0 and "resuming after step 250" in resumed.stdout, resumed.stdout + resumed.stderr
    reference = train(tmp_path / "b", variant, ranks)
    assert reference.returncode == 0
    assert_same_run(path, next((tmp_path / "b").glob("*.h5")))
    again = train(tmp_path / "a", variant, ranks, resume=True)
    assert again.returncode == 0 and "already completed; nothing to resume" in again.stdout


@pytest.mark.parametrize("launcher", ["direct", "mpirun"])
def test_a_real_sigterm_interrupts_the_run_with_a_checkpoint(tmp_path, launcher):
    variant = ["optimizer.name=sgd", "run.steps=200000", "run.record_every=100"]
    cmd = [PGDX, "train", str(FIG3), *sets(variant), "--out", str(tmp_path)]
    if launcher == "mpirun":
        cmd = [MPIEXEC, "-n", "2", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:  # the header line of the progress table: training has started
        if line.split()[:1] == ["step"]:
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    # pgdx exits 0; mpirun reports its own termination by the signal with a non-zero code.
    if launcher == "direct":
        assert proc.returncode == 0, err
    assert "run interrupted" in err
    path = next(tmp_path.glob("*.h5"))
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "interrupted"
        stopped_at = int(f["/checkpoint/step"][0])
        assert f["/history/step"][-1] <= stopped_at
    assert 0 < stopped_at < 200000
    assert not list(tmp_path.glob("*.partial"))


def test_sigkill_leaves_only_a_partial_file(tmp_path):
    result = train(tmp_path, LM, 1, env={"PGDX_RAISE_SIGKILL_AT_STEP": "300"})
    assert result.returncode != 0
    assert list(tmp_path.glob("*.h5")) == []
    partial = next(tmp_path.glob("*.h5.partial"))
    with h5py.File(partial, "r") as f:
        assert f.attrs["status"] == "running"


def test_periodic_checkpoint_lets_a_killed_run_resume_from_its_partial_file(tmp_path):
    variant = LM + ["run.checkpoint_every=200"]
    killed = train(tmp_path / "a", variant, 2, env={"PGDX_RAISE_SIGKILL_AT_STEP": "450"})
    assert killed.returncode != 0
    partial = next((tmp_path / "a").glob("*.h5.partial"))
    with h5py.File(partial, "r") as f:
        assert f["/checkpoint/step"][0] == 400
    resumed = train(tmp_path / "a", variant, 2, resume=True)
    assert resumed.returncode == 0 and "resuming after step 400" in resumed.stdout, resumed.stderr
    assert not list((tmp_path / "a").glob("*.partial"))
    reference = train(tmp_path / "b", variant, 2)
    assert_same_run(next((tmp_path / "a").glob("*.h5")), next((tmp_path / "b").glob("*.h5")))


def test_resume_refuses_a_changed_configuration(tmp_path):
    train(tmp_path, LM, 1, env={"PGDX_RAISE_SIGTERM_AT_STEP": "100"})
    changed = train(tmp_path, LM + ["optimizer.lr=0.02", "run.name=fig3_regression1d_lm_mu0.1_seed0"], 1, resume=True)
    assert changed.returncode == 2
    assert "its configuration differs" in changed.stderr


def test_resume_with_a_new_run_steps_continues_under_the_new_budget(tmp_path):
    """An interrupted run continued with another run.steps equals a run made with that budget from
    the start; the file says so; a budget that ends before the checkpoint is refused."""
    short = [kv for kv in ADAM_MINIBATCH if not kv.startswith("run.steps")] + ["run.steps=400"]
    stopped = train(tmp_path / "a", short, 2, env={"PGDX_RAISE_SIGTERM_AT_STEP": "250"})
    assert stopped.returncode == 0, stopped.stderr
    too_short = train(tmp_path / "a", short[:-1] + ["run.steps=250"], 2, resume=True)
    assert too_short.returncode == 2 and "checkpoint is at step 250" in too_short.stderr, too_short.stderr
    resumed = train(tmp_path / "a", ADAM_MINIBATCH, 2, resume=True)  # run.steps=600
    assert resumed.returncode == 0, resumed.stderr
    assert "run.steps changed 400 -> 600" in resumed.stdout and "resuming after step 250" in resumed.stdout
    path = next((tmp_path / "a").glob("*.h5"))
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "completed"
        assert f.attrs["budget_changes"] == "400 -> 600 at step 250"
        assert "steps = 600" in f.attrs["config"]
        assert f["/history/step"][-1] == 600
    reference = train(tmp_path / "b", ADAM_MINIBATCH, 2)
    assert reference.returncode == 0
    assert_same_run(path, next((tmp_path / "b").glob("*.h5")))
