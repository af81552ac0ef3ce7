import numpy as np
import pytest

from conftest import make_run_file
from postprocess.runs import RunFileError, find_runs, load_run


def test_load_run_round_trips_attributes_and_arrays(tmp_path):
    path = make_run_file(tmp_path / "a.h5", "lm", mu=0.5, steps=10)
    run = load_run(path)
    assert run.optimizer == "lm" and run.mu == 0.5
    assert run.attrs["status"] == "completed" and run.attrs["num_params"] == 7
    assert run.config["loss"]["reduction"] == "mean"
    assert run.fft_error.shape == (11, 51)
    np.testing.assert_array_equal(run.history["step"], np.arange(11))
    np.testing.assert_allclose(run.init_params, np.linspace(-1, 1, 7))


def test_partial_files_are_ignored(demo_like_dir):
    names = [p.name for p in find_runs(demo_like_dir)]
    assert names == ["gn.h5", "lm01.h5", "lm05.h5", "sgd.h5"]


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(RunFileError, match="nope.h5: no such file"):
        load_run(tmp_path / "nope.h5")


def test_not_hdf5_names_the_file(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello")
    with pytest.raises(RunFileError, match="text.h5: cannot be read as a pgdx run file"):
        load_run(path)


def test_truncated_file_names_the_file(tmp_path):
    path = make_run_file(tmp_path / "cut.h5")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(RunFileError, match="cut.h5"):
        load_run(path)


def test_foreign_hdf5_is_rejected(tmp_path):
    import h5py
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["x"] = [1, 2, 3]
    with pytest.raises(RunFileError, match="foreign.h5: not a pgdx run file"):
        load_run(path)


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(RunFileError, match="no run files"):
        find_runs(tmp_path)
    with pytest.raises(RunFileError, match="no such directory"):
        find_runs(tmp_path / "absent")


def test_real_run_file_from_pgdx_loads(pgdx_runs):
    runs = [load_run(p) for p in find_runs(pgdx_runs)]
    assert {r.optimizer for r in runs} == {"sgd", "lm"}
    for run in runs:
        assert run.attrs["status"] == "completed"
        assert run.init_params.size == run.attrs["num_params"] == 241
        assert run.fft_error.shape == (31, 51)
