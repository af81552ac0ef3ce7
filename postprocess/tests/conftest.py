"""Synthetic run files that follow docs/hdf5-layout.md, and real ones from the pgdx binary."""
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def make_run_file(path, optimizer="sgd", mu=0.1, steps=20, modes=51, seed=0):
    """A small run file with the documented layout; e_k decays at rate k for recognisable curves."""
    step = np.arange(steps + 1, dtype=np.int64)
    config = (f'[run]\nseed = {seed}\n[loss]\nreduction = "mean"\n[optimizer]\nname = "{optimizer}"\n'
              f'mu = {mu}\nmu_scale = "sum"\ngn_cutoff = 1e-06\ngn_cutoff_mode = "relative"\n')
    with h5py.File(path, "w") as f:
        for key, value in {"format": "pgdx-run", "format_version": 1, "status": "completed", "optimizer": optimizer,
                           "config": config, "seed": seed, "num_params": 7, "run_name": pathlib.Path(path).stem}.items():
            f.attrs[key] = value
        f["init/params"] = np.linspace(-1, 1, 7)
        f["history/step"] = step
        f["history/train_loss"] = 0.4 * np.exp(-0.1 * step)
        f["spectral/step"] = step
        f["spectral/modes"] = np.arange(modes, dtype=np.int64)
        f["spectral/fft_error"] = np.exp(-np.outer(step, np.arange(modes)) / 50.0) * 0.3
    return path


@pytest.fixture
def demo_like_dir(tmp_path):
    d = tmp_path / "demo"
    d.mkdir()
    make_run_file(d / "gn.h5", "gn")
    make_run_file(d / "lm01.h5", "lm", mu=0.1)
    make_run_file(d / "sgd.h5", "sgd")
    make_run_file(d / "lm05.h5", "lm", mu=0.5)
    (d / "crashed.h5.partial").write_bytes(b"not finished")
    return d


@pytest.fixture(scope="session")
def pgdx_runs(tmp_path_factory):
    """Two short real runs written by the C++ code (skipped when the binary is not built)."""
    binary = os.environ.get("PGDX_BIN", str(REPO / "build" / "pgdx"))
    if not os.path.exists(binary):
        pytest.skip(f"pgdx binary not built at {binary}")
    d = tmp_path_factory.mktemp("real")
    for variant in (["optimizer.name=sgd"], ["optimizer.name=lm", "optimizer.mu=0.1"]):
        sets = [a for kv in variant + ["run.steps=30"] for a in ("--set", kv)]
        subprocess.run([binary, "train", str(REPO / "jobs" / "fig3_regression1d.toml"), *sets, "--out", str(d),
                        "--quiet"], check=True, capture_output=True)
    return d
