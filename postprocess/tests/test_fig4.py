"""postprocess.fig4_pinn and `python -m postprocess fig4`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import (PNG_MAGIC, assert_one_line_failure, cli, make_pinn_file, make_regression2d_file,
                      make_run_file, markdown_table)
from postprocess import fig4_pinn
from postprocess.runs import RunFileError, load_run, load_runs

TITLES = ["SGD η=0.001", "Adam η=0.01", "LM η=0.1, μ=0.1"]
FREQUENCIES = [(1, 1), (2, 2), (3, 3)]
LABELS = ["(n,m) = (1,1)", "(n,m) = (2,2)", "(n,m) = (3,3)"]
BLUE_ORANGE_GREEN = ["#1f77b4", "#ff7f0e", "#2ca02c"]


@pytest.fixture
def fig4_dir(tmp_path):
    """3 optimizers × 3 frequencies, written in scrambled order, plus a crashed run."""
    d = tmp_path / "fig4"
    d.mkdir()
    for freq in reversed(FREQUENCIES):
        for opt in ("lm", "sgd", "adam"):
            make_pinn_file(d / f"pinn__optimizer.name-{opt}__f-{freq[0]}{freq[1]}.h5", opt, frequency=freq)
    make_pinn_file(d / "crashed.h5.partial", "sgd", status="running")
    return d


def hexes(lines):
    return [matplotlib.colors.to_hex(line.get_color()) for line in lines]


def test_loader_reads_the_pinn_history(tmp_path):
    path = make_pinn_file(tmp_path / "p.h5", "lm", frequency=(2, 2), steps=7)
    run = load_run(path)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(run.history["l2_error"], f["history/l2_error"][()])
        assert f["data/train_x"].shape == (680, 2) and f["data/train_coefficients"].shape == (680, 2)
    assert run.task == "pinn_poisson" and np.all(np.isnan(run.history["test_loss"]))
    assert run.config["task"]["frequency"] == [2, 2] and fig4_pinn.frequency(run) == (2, 2)
    assert run.spectral_step.size == 0 and run.fft_error.shape == (0, 0)  # no /spectral group


def test_columns_rows_and_curves_follow_the_paper(fig4_dir):
    fig, titles, table = fig4_pinn.figure(load_runs(fig4_dir))
    assert titles == TITLES
    assert len(fig.axes) == 6
    top, bottom = fig.axes[:3], fig.axes[3:]  # subplots lists row by row
    assert [ax.get_title() for ax in top] == TITLES and [ax.get_title() for ax in bottom] == [""] * 3
    for ax in top + bottom:
        assert ax.get_yscale() == "log"
        assert [line.get_label() for line in ax.get_lines()] == LABELS
        assert hexes(ax.get_lines()) == BLUE_ORANGE_GREEN
    assert all(ax.get_xlabel() == "iteration" for ax in bottom)
    assert top[0].get_ylabel() == "training loss" and "L^2" in bottom[0].get_ylabel()
    assert top[0].get_ylim() == top[2].get_ylim() and bottom[0].get_ylim() == bottom[2].get_ylim()
    assert [t.get_text() for t in top[0].get_legend().get_texts()] == LABELS
    # The curves are the files' histories: the bottom row is /history/l2_error.
    run = load_run(fig4_dir / "pinn__optimizer.name-lm__f-33.h5")
    np.testing.assert_array_equal(bottom[2].get_lines()[2].get_ydata(), run.history["l2_error"])
    np.testing.assert_array_equal(top[2].get_lines()[2].get_ydata(), run.history["train_loss"])
    assert fig._suptitle.get_text().startswith("Fig. 4:")
    assert [(row["optimizer"], row["(n,m)"]) for row in table] == [
        (t, f"({n},{m})") for t in TITLES for n, m in FREQUENCIES]


def test_status_seeds_and_other_frequencies(tmp_path):
    make_pinn_file(tmp_path / "lm33.h5", "lm", frequency=(3, 3), status="diverged")
    make_pinn_file(tmp_path / "lm11.h5", "lm", frequency=(1, 1))
    make_pinn_file(tmp_path / "sgd11_s1.h5", "sgd", frequency=(1, 1), seed=1)
    make_pinn_file(tmp_path / "sgd11_s0.h5", "sgd", frequency=(1, 1), seed=0)
    make_pinn_file(tmp_path / "sgd44.h5", "sgd", frequency=(4, 4))
    make_pinn_file(tmp_path / "lm_mu1.h5", "lm", frequency=(1, 1), mu=1.0)
    fig, titles, table = fig4_pinn.figure(load_runs(tmp_path))
    assert titles == ["SGD η=0.001", "LM η=0.1, μ=1", "LM η=0.1, μ=0.1 [(3,3) diverged]"]
    sgd = fig.axes[0].get_lines()
    # Seed 0 is the labelled line, seed 1 a thin one in the same colour; (4,4) takes the next colour.
    assert [line.get_label() for line in sgd] == ["(n,m) = (1,1)", "_(n,m) = (1,1)", "(n,m) = (4,4)"]
    assert hexes(sgd) == ["#1f77b4", "#1f77b4", "#d62728"] and sgd[1].get_linewidth() < sgd[0].get_linewidth()
    assert [(row["(n,m)"], row["seed"]) for row in table[:3]] == [("(1,1)", 0), ("(1,1)", 1), ("(4,4)", 0)]
    assert table[-1]["status"] == "diverged" and len(table) == 6


def test_cli_writes_png_and_prints_the_files_final_values(fig4_dir, tmp_path):
    out = tmp_path / "fig4.png"
    result = cli("fig4", fig4_dir, "-o", out)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 10_000
    first, rows = markdown_table(result.stdout)
    assert first == str(out) and len(rows) == 9
    assert [row["optimizer"] for row in rows] == [t for t in TITLES for _ in FREQUENCIES]
    for row in rows:
        with h5py.File(fig4_dir / row["file"], "r") as f:
            assert int(row["step"]) == f["history/step"][-1] == 30
            assert float(row["final train loss"]) == pytest.approx(f["history/train_loss"][-1], rel=1e-5)
            assert float(row["final L2 error"]) == pytest.approx(f["history/l2_error"][-1], rel=1e-5)
        assert row["status"] == "completed" and row["seed"] == "0"
    # Distinct runs give distinct numbers, so a row cannot have been paired with the wrong file.
    assert len({row["final train loss"] for row in rows}) == 9


def test_cli_run_of_another_task(fig4_dir, tmp_path):
    make_regression2d_file(fig4_dir / "two_d.h5", steps=3)
    result = cli("fig4", fig4_dir, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, "two_d.h5", "task 'regression2d'", "fig4 needs runs of the pinn_poisson task")
    assert not (tmp_path / "x.png").exists()


def test_cli_missing_l2_error(fig4_dir, tmp_path):
    make_pinn_file(fig4_dir / "old.h5", "adam", frequency=(2, 2), l2_error=False)
    assert_one_line_failure(cli("fig4", fig4_dir, "-o", tmp_path / "x.png"), "old.h5",
                            "/history/l2_error is missing")


def test_cli_missing_folder(tmp_path):
    assert_one_line_failure(cli("fig4", tmp_path / "missing", "-o", tmp_path / "x.png"), "missing",
                            "no such directory")


def test_cli_foreign_and_truncated_files(fig4_dir, tmp_path):
    (fig4_dir / "bad.h5").write_text("not hdf5\n")
    assert_one_line_failure(cli("fig4", fig4_dir, "-o", tmp_path / "x.png"), "bad.h5")


def test_a_config_without_frequency_is_named(tmp_path):
    path = make_pinn_file(tmp_path / "p.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = f.attrs["config"].replace("frequency = [ 1, 1 ]", "frequency = 2")
    with pytest.raises(RunFileError, match="p.h5: config task.frequency = 2, expected"):
        fig4_pinn.figure(load_runs(tmp_path))


def test_one_dimensional_runs_are_refused(tmp_path):
    make_run_file(tmp_path / "r.h5")
    with pytest.raises(RunFileError, match="r.h5: task 'regression1d'"):
        fig4_pinn.draw(tmp_path, tmp_path / "x.png")


def test_draws_real_pgdx_runs(pgdx_fig4_runs, tmp_path):
    out = tmp_path / "real4.png"
    table = fig4_pinn.draw(pgdx_fig4_runs, out)
    files = sorted(p.name for p in pgdx_fig4_runs.glob("*.h5"))
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert sorted(row["file"] for row in table) == files and len(files) >= 2
    for run in load_runs(pgdx_fig4_runs):
        assert run.task == "pinn_poisson" and run.status in ("completed", "diverged")
        assert run.history["l2_error"].shape == run.history["step"].shape
        assert np.isfinite(run.history["l2_error"][0]) and np.all(np.isnan(run.history["test_loss"]))
        with h5py.File(run.path, "r") as f:
            coefficients, x = f["data/train_coefficients"][()], f["data/train_x"][()]
        assert coefficients.shape == (x.shape[0], 2) and x.shape[1] == 2
        # Interior rows (α, β) = (0, 1), boundary rows (1, 0).
        assert {tuple(c) for c in coefficients} <= {(0.0, 1.0), (1.0, 0.0)}
