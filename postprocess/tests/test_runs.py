"""postprocess.runs: reading run files, and one-line RunFileErrors for every kind of bad input."""
import h5py
import numpy as np
import pytest

from conftest import FLOAT_ATTRS, INT_ATTRS, STRING_ATTRS, make_run_file
from postprocess.runs import RunFileError, find_runs, load_run, load_runs


def one_line_error(path_or_dir, loader=load_run) -> str:
    """The RunFileError message for `path_or_dir`, checked to be a single line naming it."""
    with pytest.raises(RunFileError) as info:
        loader(path_or_dir)
    message = str(info.value)
    assert "\n" not in message
    assert str(path_or_dir) in message
    return message


def test_load_run_round_trips_attributes_and_arrays(tmp_path):
    path = make_run_file(tmp_path / "a.h5", "lm", mu=0.5, steps=10, points=20, seed=3)
    run = load_run(path)
    assert set(run.attrs) == set(STRING_ATTRS + INT_ATTRS + FLOAT_ATTRS)
    assert all(type(run.attrs[k]) is str for k in STRING_ATTRS)
    assert all(type(run.attrs[k]) is int for k in INT_ATTRS)
    assert all(type(run.attrs[k]) is float for k in FLOAT_ATTRS)
    assert run.attrs["format"] == "pgdx-run" and run.attrs["status"] == "completed"
    assert run.attrs["seed"] == 3 and run.attrs["num_train"] == 20 and np.isnan(run.attrs["final_test_loss"])
    assert run.name == "a" and run.optimizer == "lm" and run.mu == 0.5
    assert run.config["optimizer"]["gn_cutoff"] == 1e-6 and run.config["loss"]["reduction"] == "mean"

    with h5py.File(path, "r") as f:
        for name, ds in f["history"].items():
            np.testing.assert_array_equal(run.history[name], ds[()])
            assert run.history[name].dtype == ds.dtype
        np.testing.assert_array_equal(run.fft_error, f["spectral/fft_error"][()])
        np.testing.assert_array_equal(run.init_params, f["init/params"][()])
    assert len(run.history) == 13
    np.testing.assert_array_equal(run.history["step"], np.arange(11))
    np.testing.assert_array_equal(run.spectral_step, np.arange(11))
    np.testing.assert_array_equal(run.spectral_modes, np.arange(11))
    assert run.fft_error.shape == (11, 11) and run.init_params.shape == (7,)


def test_file_without_spectrum_loads_with_empty_spectral_arrays(tmp_path):
    run = load_run(make_run_file(tmp_path / "nospec.h5", spectral=False))
    assert run.spectral_step.size == 0 and run.fft_error.shape == (0, 0)


def test_partial_files_are_ignored(demo_like_dir):
    names = [p.name for p in find_runs(demo_like_dir)]
    assert names == ["gn.h5", "lm01.h5", "lm05.h5", "sgd.h5"]
    assert [r.optimizer for r in load_runs(demo_like_dir)] == ["gn", "lm", "lm", "sgd"]


def test_missing_file(tmp_path):
    assert "no such file" in one_line_error(tmp_path / "nope.h5")


def test_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello\nworld\n")
    assert "cannot be read as a pgdx run file" in one_line_error(path)


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.3, 0.7, 0.99])
def test_truncated_file(tmp_path, fraction):
    path = make_run_file(tmp_path / "cut.h5")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    one_line_error(path)


def test_foreign_hdf5_is_rejected(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["x"] = [1, 2, 3]
    assert "not a pgdx run file (no root attribute 'format')" in one_line_error(path)


def _set_format(f):
    f.attrs["format"] = "something-else"


def _set_future_version(f):
    f.attrs["format_version"] = np.int64(2)


def _drop_train_loss(f):
    del f["history/train_loss"]


def _break_config_toml(f):
    f.attrs["config"] = "[optimizer\nname = "


def _mismatch_modes(f):
    del f["spectral/modes"]
    f["spectral/modes"] = np.arange(5, dtype=np.int64)


@pytest.mark.parametrize("damage, expected", [
    (_set_format, "not a pgdx run file"),
    (_set_future_version, "format_version 2 is not supported"),
    (_drop_train_loss, "/history/train_loss is missing"),
    (_break_config_toml, "not valid TOML"),
    (_mismatch_modes, "/spectral/fft_error has shape"),
], ids=["wrong-format", "future-version", "missing-dataset", "bad-config-toml", "modes-mismatch"])
def test_a_damaged_run_file_is_one_line_naming_the_problem(tmp_path, damage, expected):
    path = make_run_file(tmp_path / "damaged.h5")
    with h5py.File(path, "r+") as f:
        damage(f)
    assert expected in one_line_error(path)


def test_missing_or_empty_folder(tmp_path):
    assert find_runs(tmp_path) == []
    assert "no run files (*.h5)" in one_line_error(tmp_path, load_runs)
    (tmp_path / "x.h5.partial").write_bytes(b"")
    assert "1 *.h5.partial" in one_line_error(tmp_path, load_runs)
    assert "no such directory" in one_line_error(tmp_path / "absent", find_runs)


def test_real_run_files_from_pgdx_load(pgdx_runs):
    runs = load_runs(pgdx_runs)
    assert sorted(r.optimizer for r in runs) == ["lm", "sgd"]
    for run in runs:
        assert run.attrs["status"] == "completed" and run.attrs["format_version"] == 1
        assert run.init_params.size == run.attrs["num_params"]
        assert run.fft_error.shape == (run.spectral_step.size, run.attrs["num_train"] // 2 + 1)
        assert run.history["train_loss"].shape == run.history["step"].shape
