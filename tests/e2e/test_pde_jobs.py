"""The Fig. 9 and Fig. 4 smoke sweeps: every point runs on 2 ranks and agrees with 1 rank to 1e-9,
and the files hold what docs/hdf5-layout.md promises for the 2-D spectrum and the PINN."""
import pathlib

import h5py
import numpy as np
import pytest

from conftest import run_pgdx

REPO = pathlib.Path(__file__).resolve().parents[2]
SMOKES = {"fig9": REPO / "jobs" / "smoke_fig9_regression2d.toml", "fig4": REPO / "jobs" / "smoke_fig4_pinn.toml"}


def normwise_gap(a, b):
    """max |a − b| / max |b| along the last axis (rows of a spectrum or a whole history)."""
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return float(np.max(np.max(np.abs(a - b), axis=-1) / np.maximum(np.max(np.abs(b), axis=-1), 1e-300)))


def recorded(path):
    """Every recorded float dataset of a run file, by path (timings excluded)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f" and not name.endswith("step_seconds"):
                out[name] = obj[()]
        f.visititems(visit)
    return out


@pytest.fixture(scope="module")
def smoke_runs(request, tmp_path_factory):
    """The smoke sweep run locally on 1 and on 2 ranks per point."""
    job = SMOKES[request.param]
    dirs = {}
    for ranks in (1, 2):
        out = tmp_path_factory.mktemp(f"{request.param}_np{ranks}")
        run_pgdx(["sweep", job, "--local", "-j", "1", "--ranks", str(ranks), "--out", out], check=True)
        dirs[ranks] = out
    return request.param, dirs


@pytest.mark.parametrize("smoke_runs", ["fig9", "fig4"], indirect=True)
def test_smoke_sweep_agrees_on_1_and_2_ranks_to_1e_9(smoke_runs):
    name, dirs = smoke_runs
    files = sorted(p.name for p in dirs[1].glob("*.h5"))
    assert len(files) == (4 if name == "fig9" else 6)
    assert files == sorted(p.name for p in dirs[2].glob("*.h5"))
    for file in files:
        one, two = recorded(dirs[1] / file), recorded(dirs[2] / file)
        assert one.keys() == two.keys()
        for key in one:
            assert one[key].shape == two[key].shape, (file, key)
            finite = np.isfinite(one[key])
            assert np.array_equal(finite, np.isfinite(two[key])), (file, key)
            if finite.any():
                gap = normwise_gap(np.where(finite, two[key], 0), np.where(finite, one[key], 0))
                assert gap < 1e-9, (file, key, gap)
        with h5py.File(dirs[2] / file) as f:
            assert f.attrs["ranks"] == 2 and f.attrs["status"] == "completed"


@pytest.mark.parametrize("smoke_runs", ["fig9"], indirect=True)
def test_fig9_files_hold_the_shells_of_the_2d_spectrum(smoke_runs):
    _, dirs = smoke_runs
    with h5py.File(next(dirs[2].glob("*optimizer-gn*.h5"))) as f:
        assert list(f["/spectral/grid_shape"][:]) == [40, 40]
        shells = f["/spectral/fft_error_2d"][:]
        assert shells.shape == (31, 29) and list(f["/spectral/shells"][:]) == list(range(29))
        full = f["/spectral_full/fft_error_2d"][:]
        assert list(f["/spectral_full/step"][:]) == [0, 10, 20, 30] and full.shape == (4, 1600)
        # The shells are the radial means of the full spectrum recorded at the same step.
        e = full[-1].reshape(40, 40)
        k = np.minimum(np.arange(40), 40 - np.arange(40))
        radius = np.rint(np.hypot(k[:, None], k[None, :])).astype(int)
        expected = [e[radius == m].mean() for m in range(29)]
        np.testing.assert_allclose(shells[-1], expected, rtol=1e-12)
        assert "/spectral/fft_error" not in f  # no 1-D spectrum for a 2-D grid


@pytest.mark.parametrize("smoke_runs", ["fig4"], indirect=True)
def test_fig4_files_hold_the_l2_error_and_the_operator_coefficients(smoke_runs):
    _, dirs = smoke_runs
    for path in dirs[2].glob("*.h5"):
        with h5py.File(path) as f:
            coefficients = f["/data/train_coefficients"][:]
            assert coefficients.shape == (680, 2)
            assert (coefficients[:640] == [0, 1]).all() and (coefficients[640:] == [1, 0]).all()
            x = f["/data/train_x"][:]
            on_edge = (x[640:] == 0) | (x[640:] == 1)
            assert on_edge.any(axis=1).all()
            assert ((x[:640] > 0) & (x[:640] < 1)).all()  # collocation points strictly inside
            l2 = f["/history/l2_error"][:]
            assert np.all(np.isfinite(l2)) and l2[0] > 0.5  # the untrained net is far from u*
            assert np.isnan(f["/history/test_loss"][:]).all()
