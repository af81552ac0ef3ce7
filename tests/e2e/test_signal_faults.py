"""Signals at random moments: SIGTERM after random steps, and SIGKILL at random wall times of a run
that checkpoints every few steps (so some kills land inside a checkpoint write). Every interrupted
run must resume (from its file or its .partial file) to a result equal to an uninterrupted run,
dataset by dataset; no file may be left unreadable. Prints the counts per kind."""
import os
import random
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import FIG3, PGDX

VARIANT = ["optimizer.name=lm", "optimizer.mu=0.1", "run.steps=400", "run.checkpoint_every=7"]


def sets(variant):
    return [arg for kv in variant for arg in ("--set", kv)]


def command(out, resume=False):
    return [PGDX, "train", str(FIG3), *sets(VARIANT), "--out", str(out), "--quiet"] + (["--resume"] if resume else [])


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return {k: v for k, v in out.items() if k not in ("history/step_seconds", "checkpoint/elapsed_seconds")}


def readable(path):
    try:
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: obj[()] if isinstance(obj, h5py.Dataset) else None)
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    subprocess.run(command(out), check=True, capture_output=True)
    return datasets(next(out.glob("*.h5")))


def resume_and_compare(out, reference):
    resumed = subprocess.run(command(out, resume=True), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert not list(out.glob("*.partial"))
    after = datasets(next(out.glob("*.h5")))
    assert sorted(after) == sorted(reference)
    for name, values in reference.items():
        assert np.array_equal(after[name], values, equal_nan=True), name


def test_sigterm_after_random_steps_resumes_to_the_same_result(tmp_path, reference):
    rng = random.Random(7)
    counts = {"sigterm": 0, "resumed_equal": 0, "unreadable": 0}
    for trial in range(6):
        out = tmp_path / f"t{trial}"
        step = rng.randrange(1, 400)
        stopped = subprocess.run(command(out), capture_output=True, text=True, timeout=300,
                                 env={**os.environ, "PGDX_RAISE_SIGTERM_AT_STEP": str(step)})
        counts["sigterm"] += 1
        assert stopped.returncode == 0, stopped.stderr
        files = [*out.glob("*.h5"), *out.glob("*.h5.partial")]  # not the .lock file
        counts["unreadable"] += sum(not readable(p) for p in files)
        resume_and_compare(out, reference)
        counts["resumed_equal"] += 1
    print(f"SIGTERM at random steps: {counts}")
    assert counts["unreadable"] == 0


def test_sigkill_at_random_times_never_loses_a_result(tmp_path, reference):
    rng = random.Random(11)
    started = time.monotonic()
    subprocess.run(command(tmp_path / "timing"), check=True, capture_output=True)
    duration = time.monotonic() - started
    counts = {"sigkill": 0, "finished_first": 0, "resumed_equal": 0, "unreadable": 0, "restarted_fresh": 0}
    for trial in range(10):
        out = tmp_path / f"k{trial}"
        proc = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.9) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            counts["sigkill"] += 1
        else:
            counts["finished_first"] += 1
        proc.wait()
        unreadable = [p for p in [*out.glob("*.h5"), *out.glob("*.h5.partial")] if not readable(p)]
        counts["unreadable"] += len(unreadable)
        partial = list(out.glob("*.h5.partial"))
        if partial and readable(partial[0]):
            with h5py.File(partial[0], "r") as f:
                if "checkpoint" not in f:
                    counts["restarted_fresh"] += 1
        resume_and_compare(out, reference)
        counts["resumed_equal"] += 1
    print(f"SIGKILL at random times: {counts}")
    assert counts["unreadable"] == 0 and counts["sigkill"] >= 5
