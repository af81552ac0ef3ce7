"""Synthetic run files that follow docs/hdf5-layout.md exactly, and real ones from the pgdx binary.

The synthetic residual is a sum of cosines whose amplitudes decay at a rate that grows with
the wave number, and the stored e_k and loss are computed from it with the layout's own
definitions, so each file is self-consistent and the curves are easy to recognise.
"""
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cli(*args):
    """python3 -m postprocess ARGS, run from the repository root."""
    return subprocess.run([sys.executable, "-m", "postprocess", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True)


def assert_one_line_failure(result, *expected):
    """Bad input: exit 2, one stderr line containing every expected fragment, no traceback."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]
sys.path.insert(0, str(REPO))

STRING_ATTRS = ("format", "pgdx_version", "git_commit", "config", "config_file", "overrides", "run_name",
                "task", "optimizer", "status", "message", "started_at")
INT_ATTRS = ("format_version", "seed", "num_params", "num_train", "num_outputs", "ranks", "steps_completed")
FLOAT_ATTRS = ("wall_seconds", "final_train_loss", "final_test_loss")


def config_text(optimizer, mu, seed, steps, points, gn_cutoff, gn_cutoff_mode, damping):
    """Effective-config TOML in the style pgdx writes it (sorted tables, single-quoted strings)."""
    return (f"[loss]\nreduction = 'mean'\n\n[model]\nactivation = 'tanh'\nlayers = [ 1, 2, 1 ]\n\n"
            f"[optimizer]\ndamping = '{damping}'\ngn_cutoff = {gn_cutoff!r}\ngn_cutoff_mode = '{gn_cutoff_mode}'\n"
            f"lr = 0.01\nmu = {mu!r}\nmu_scale = 'sum'\nname = '{optimizer}'\n\n"
            f"[run]\nbatch_size = 0\nrecord_every = 1\nseed = {seed}\nsteps = {steps}\n\n"
            f"[task]\nname = 'regression1d'\npoints = {points}\n")


def _extendible(f, name, data):
    """History and spectral datasets are chunked and extendible along the record axis."""
    data = np.asarray(data)
    f.create_dataset(name, data=data, maxshape=(None,) + data.shape[1:], chunks=(64,) + data.shape[1:])


def make_run_file(path, optimizer="sgd", mu=0.5, steps=20, points=100, seed=0, status="completed",
                  gn_cutoff=1e-6, gn_cutoff_mode="relative", damping="constant", spectral=True):
    """Write a complete run file with every root attribute and dataset of docs/hdf5-layout.md v1."""
    path = pathlib.Path(path)
    rng = np.random.default_rng(seed)
    p, n, modes = 7, points, points // 2 + 1
    step = np.arange(steps + 1, dtype=np.int64)
    x = np.linspace(0.0, 1.0, n)[:, None]
    y = np.sin(3 * np.pi * x)
    grid = np.arange(n)
    amplitude = 0.3 / (1 + np.arange(modes))
    # residual r(t, j) = sum_k a_k exp(-t k / 10) cos(2 pi k j / n)
    decay = np.exp(-np.outer(step, np.arange(modes)) / 10.0) * amplitude
    residual = decay @ np.cos(2 * np.pi * np.outer(np.arange(modes), grid) / n)
    fft_error = np.abs(np.fft.fft(residual, axis=1))[:, :modes] / n
    train_loss = 0.5 * np.mean(residual ** 2, axis=1)
    theta0 = rng.standard_normal(p)
    is_lm, is_gn = optimizer == "lm", optimizer == "gn"

    attrs = {
        "format": "pgdx-run", "format_version": 1, "pgdx_version": "0.1.0", "git_commit": "0123456789ab",
        "config": config_text(optimizer, mu, seed, steps, n, gn_cutoff, gn_cutoff_mode, damping),
        "config_file": "jobs/fig3_regression1d.toml", "overrides": f"optimizer.name={optimizer}",
        "run_name": path.name.removesuffix(".partial").removesuffix(".h5"), "task": "regression1d",
        "optimizer": optimizer, "seed": seed, "num_params": p, "num_train": n, "num_outputs": 1, "ranks": 2,
        "status": status, "message": "" if status == "completed" else f"run {status}",
        "steps_completed": steps, "wall_seconds": 0.25, "final_train_loss": float(train_loss[-1]),
        "final_test_loss": float("nan"), "started_at": "2026-01-01T00:00:00Z",
    }
    history = {
        "step": step, "train_loss": train_loss, "test_loss": np.full(step.shape, np.nan),
        "lr": np.full(step.shape, 0.01), "mu": np.full(step.shape, mu if is_lm else np.nan),
        "rho": np.full(step.shape, 1.0 if is_lm else np.nan), "attempts": np.ones_like(step),
        "solve_fallbacks": np.zeros_like(step), "accepted": np.ones_like(step),
        "gn_rank": np.full_like(step, 5 if is_gn else -1), "weight_norm": np.full(step.shape, 2.0),
        "dist_from_init": np.linspace(0.0, 0.1, step.size), "step_seconds": np.full(step.shape, 1e-3),
    }
    with h5py.File(path, "w") as f:
        for key in STRING_ATTRS:
            f.attrs[key] = str(attrs[key])  # variable-length UTF-8, as pgdx writes them
        for key in INT_ATTRS:
            f.attrs[key] = np.int64(attrs[key])
        for key in FLOAT_ATTRS:
            f.attrs[key] = np.float64(attrs[key])
        f["init/params"] = theta0
        f["final/params"] = theta0 + 0.1
        f["data/train_x"] = x
        f["data/train_y"] = y
        for name, values in history.items():
            _extendible(f, f"history/{name}", values)
        if spectral:
            _extendible(f, "spectral/step", step)
            f["spectral/modes"] = np.arange(modes, dtype=np.int64)
            _extendible(f, "spectral/fft_error", fft_error)
    return path


@pytest.fixture
def demo_like_dir(tmp_path):
    """The four Fig. 3 demo runs (written in scrambled order) plus a crashed run's .h5.partial."""
    d = tmp_path / "demo"
    d.mkdir()
    make_run_file(d / "gn.h5", "gn")
    make_run_file(d / "lm01.h5", "lm", mu=0.1)
    make_run_file(d / "sgd.h5", "sgd")
    make_run_file(d / "lm05.h5", "lm", mu=0.5)
    make_run_file(d / "crashed.h5.partial", "adam", status="running")
    return d


@pytest.fixture(scope="session")
def pgdx_runs(tmp_path_factory):
    """Two short real runs written by the C++ code (skipped when the binary is not built)."""
    binary = os.environ.get("PGDX_BIN", str(REPO / "build" / "pgdx"))
    if not os.path.exists(binary):
        pytest.skip(f"pgdx binary not built at {binary} (set PGDX_BIN to use another one)")
    d = tmp_path_factory.mktemp("real")
    for variant in (["optimizer.name=sgd"], ["optimizer.name=lm", "optimizer.mu=0.1"]):
        sets = [a for kv in variant + ["run.steps=30"] for a in ("--set", kv)]
        result = subprocess.run([binary, "train", str(REPO / "jobs" / "fig3_regression1d.toml"), *sets,
                                 "--out", str(d), "--quiet"], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, f"{binary} train failed:\n{result.stderr}"
    return d
