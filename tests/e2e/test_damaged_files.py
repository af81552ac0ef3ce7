"""Damaged files fed to --status, --resume and postprocess: truncated final files, a killed run's
.partial renamed by hand to NAME.h5 (half-renamed), and a run killed halfway through replacing its
checkpoint. Nothing damaged may pass as completed, postprocess refuses it with one line, and
--resume ends with a whole file equal to an uninterrupted run. Prints the counts."""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import FIG3, PGDX, SOURCE_DIR, VOLATILE

sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))
from h5_damage import readable  # noqa: E402

SWEEP = SOURCE_DIR / "jobs" / "smoke_sweep.toml"
SHORT = ["--set", "run.steps=40", "--set", "run.checkpoint_every=10"]


def pgdx(*args, env=None):
    return subprocess.run([PGDX, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def status_of(out):
    lines = pgdx("sweep", SWEEP, "--status", *SHORT, "--out", out).stdout.splitlines()
    return {line.split()[2]: line.split()[1] for line in lines if line.split()[0].isdigit()}


def postprocess_refuses(out, path):
    result = subprocess.run([sys.executable, "-m", "postprocess", "fig3", str(out), "-o", str(out / "f.png")],
                            capture_output=True, text=True, cwd=SOURCE_DIR, timeout=120)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return result.returncode == 2 and len(lines) == 1 and path.name in lines[0]


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return {k: v for k, v in out.items() if k not in VOLATILE}


def same(a, b):
    da, db = datasets(a), datasets(b)
    return sorted(da) == sorted(db) and all(np.array_equal(da[k], db[k], equal_nan=True) for k in db)


@pytest.fixture(scope="module")
def sweep_point(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    assert pgdx("sweep", SWEEP, "--task-id", "0", *SHORT, "--out", out, "--quiet").returncode == 0
    return next(out.glob("*.h5"))


def test_truncated_and_half_renamed_files_are_corrupt_refused_and_rerun(tmp_path, sweep_point):
    counts = {"damaged": 0, "status_corrupt": 0, "postprocess_refused": 0, "resumed_whole_and_equal": 0}
    size = sweep_point.stat().st_size
    cases = [("truncated", fraction) for fraction in (0.1, 0.5, 0.9, 0.999)] + [("half-renamed", None)]
    for k, (kind, fraction) in enumerate(cases):
        out = tmp_path / f"case{k}"
        out.mkdir()
        damaged = out / sweep_point.name
        if kind == "truncated":
            shutil.copy(sweep_point, damaged)
            with open(damaged, "r+b") as f:
                f.truncate(int(size * fraction))
        else:  # a run killed mid-way, its .partial renamed by hand to the final name
            killed = pgdx("sweep", SWEEP, "--task-id", "0", *SHORT, "--out", out / "k", "--quiet",
                          env={"PGDX_RAISE_SIGKILL_AT_STEP": "25"})
            assert killed.returncode != 0
            os.rename(next((out / "k").glob("*.h5.partial")), damaged)
        counts["damaged"] += 1
        assert status_of(out)[damaged.stem] == "corrupt", kind
        counts["status_corrupt"] += 1
        assert postprocess_refuses(out, damaged), kind
        counts["postprocess_refused"] += 1
        rerun = pgdx("sweep", SWEEP, "--task-id", "0", *SHORT, "--out", out, "--quiet")
        assert rerun.returncode == 0 and "corrupt" in rerun.stderr, rerun.stderr
        assert (out / (damaged.name + ".corrupt")).exists() and status_of(out)[damaged.stem] == "completed"
        assert same(damaged, sweep_point), kind
        counts["resumed_whole_and_equal"] += 1
    print(f"damaged files: {counts}")


def test_sigkill_halfway_through_a_checkpoint_write_keeps_the_previous_checkpoint(tmp_path):
    variant = ["--set", "optimizer.name=lm", "--set", "run.steps=200", "--set", "run.checkpoint_every=20"]
    reference = tmp_path / "reference"
    assert pgdx("train", FIG3, *variant, "--out", reference, "--quiet").returncode == 0
    counts = {"killed_in_checkpoint": 0, "unreadable": 0, "resumed_equal": 0}
    for step in (20, 100, 180):
        out = tmp_path / f"k{step}"
        killed = pgdx("train", FIG3, *variant, "--out", out, "--quiet", env={"PGDX_TEST_SIGKILL_IN_CHECKPOINT": str(step)})
        assert killed.returncode == -9
        counts["killed_in_checkpoint"] += 1
        partial = next(out.glob("*.h5.partial"))
        counts["unreadable"] += not readable(partial)
        resumed = pgdx("train", FIG3, *variant, "--out", out, "--quiet", "--resume")
        assert resumed.returncode == 0, resumed.stderr
        assert same(next(out.glob("*.h5")), next(reference.glob("*.h5")))
        counts["resumed_equal"] += 1
    print(f"SIGKILL inside a checkpoint write: {counts}")
    assert counts["unreadable"] == 0
