"""postprocess.runs: reading run files, and one-line RunFileErrors for every kind of bad input."""
import pathlib
import shutil
import sys

import h5py
import numpy as np
import pytest

from conftest import FLOAT_ATTRS, INT_ATTRS, STRING_ATTRS, assert_one_line_failure, cli, make_run_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "support"))
from h5_damage import flip_bit, stored_offset  # noqa: E402
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


def _shorten_history_column(f):
    f["history/train_loss"].resize(20, axis=0)


def _drop_spectral_row(f):
    f["spectral/fft_error"].resize(20, axis=0)


def _overstate_steps(f):
    f.attrs["steps_completed"] = np.int64(21)


def _drop_final_params(f):
    del f["final/params"]


def _resize_init_params(f):
    del f["init/params"]
    f["init/params"] = np.zeros(3)


def _unfinished_status(f):
    f.attrs["status"] = "running"


@pytest.mark.parametrize("damage, expected", [
    (_set_format, "not a pgdx run file"),
    (_set_future_version, "format_version 2 is not supported"),
    (_drop_train_loss, "/history/train_loss is missing"),
    (_break_config_toml, "not valid TOML"),
    (_mismatch_modes, "/spectral/fft_error has shape"),
    (_shorten_history_column, "/history/train_loss has 20 rows, /history/step has 21"),
    (_drop_spectral_row, "/spectral/fft_error has 20 rows, /spectral/step has 21"),
    (_overstate_steps, "/history/step ends at step 20, root attribute steps_completed is 21"),
    (_drop_final_params, "/final/params is missing"),
    (_resize_init_params, "/init/params has shape [3], root attribute num_params is 7"),
    (_unfinished_status, "status is 'running', not a final status"),
], ids=["wrong-format", "future-version", "missing-dataset", "bad-config-toml", "modes-mismatch",
        "short-history-column", "short-spectrum", "steps-completed", "no-final-params", "init-params-size",
        "status-running"])
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


def test_an_interrupted_run_may_end_between_records_at_its_checkpoint(tmp_path):
    path = make_run_file(tmp_path / "stopped.h5", status="interrupted")
    with h5py.File(path, "r+") as f:
        f.attrs["steps_completed"] = np.int64(23)  # stopped after step 23, last recorded 20
        f["checkpoint/step"] = np.array([23], dtype=np.int64)
    assert load_run(path).status == "interrupted"
    with h5py.File(path, "r+") as f:
        f["checkpoint/step"][0] = 20
    assert "/checkpoint/step is not [23]" in one_line_error(path)


def test_a_bit_flipped_in_any_dataset_of_a_real_run_is_refused_naming_it(pgdx_runs, tmp_path):
    good = sorted(pgdx_runs.glob("*.h5"))[0]
    with h5py.File(good, "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        assert all(f[n].fletcher32 for n in names if f[n].size)  # pgdx checksums everything it stores
    detected = 0
    for name in names:
        offset = stored_offset(good, name)
        assert offset is not None, name
        bad = tmp_path / f"{name.replace('/', '_')}.h5"
        shutil.copy(good, bad)
        flip_bit(bad, offset)
        message = one_line_error(bad)
        assert f"dataset /{name} does not read back" in message and "checksum" in message
        detected += 1
    print(f"{good.name}: {len(names)} datasets, {detected} bit flips detected")
    assert detected == len(names) >= 15
    load_run(good)  # the copies were damaged, not it


def test_the_cli_refuses_a_bit_flipped_run_with_one_line_and_exit_2(pgdx_runs, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(pgdx_runs, runs)
    bad = sorted(runs.glob("*.h5"))[-1]
    flip_bit(bad, stored_offset(bad, "history/train_loss"))
    assert_one_line_failure(cli("fig3", runs, "-o", tmp_path / "fig3.png"), str(bad), "/history/train_loss",
                            "checksum")
    assert not (tmp_path / "fig3.png").exists()
