"""postprocess.fig8_transformer and `python -m postprocess fig8`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import assert_one_line_failure, cli, cli_rows, make_run_file, train_lines
from mnist_builders import first_step, make_mnist_file
from postprocess import fig8_transformer
from postprocess.runs import RunFileError, load_run, load_runs
from transformer_builders import make_transformer_file

FLOOR = 1e-16
FINALS = {"final train acc": "train_acc", "final validation acc": "test_acc", "final train loss": "train_loss",
          "final validation loss": "test_loss"}
COLUMNS = ["optimizer", "seed", "status", *FINALS, "validation acc ≥ 0.99 step", "train acc 1 step",
           "median CG iterations", "median η", "file"]


@pytest.fixture
def fig8_dir(tmp_path):
    """The Adam and GGN-CG transformer runs (written in scrambled order), plus files fig8 must skip:
    the phase run (GGN, then Adam: Fig. 12), an MNIST run, a run of another task and a crashed run."""
    d = tmp_path / "fig8"
    d.mkdir()
    make_transformer_file(d / "ggn.h5", "ggn")
    make_transformer_file(d / "adam.h5", "adam")
    make_transformer_file(d / "continue.h5", "ggn+adam")
    make_mnist_file(d / "mnist.h5", "adam", steps=300)
    make_run_file(d / "regression.h5", steps=3)
    make_transformer_file(d / "crashed.h5.partial", "adam", status="running")
    return d


def history(path):
    return load_run(path).history


def expected_first(hist, quantity, threshold):
    """The table's 'first step at ≥ threshold' by the C++ grokking rule of the builders ('-' for −1)."""
    step = first_step(hist["step"], hist[quantity], threshold)
    return "-" if step < 0 else str(step)


def test_selects_only_pure_adam_and_ggn_runs(fig8_dir):
    runs = load_runs(fig8_dir)
    assert sorted(r.path.name for r in runs if fig8_transformer.is_fig8_run(r)) == ["adam.h5", "ggn.h5"]
    phase = load_run(fig8_dir / "continue.h5")
    assert phase.task == "modular_addition_sequence" and phase.is_switching and not fig8_transformer.is_fig8_run(phase)


def test_panels_are_the_runs_histories(fig8_dir):
    fig, table = fig8_transformer.figure(load_runs(fig8_dir))
    assert len(fig.axes) == 4
    acc, loss, cg, eta = fig.axes
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "step" and ax.get_title()
    assert acc.get_ylabel() == "accuracy" and acc.get_yscale() == "linear" and acc.get_ylim() == (0.0, 1.02)
    assert loss.get_ylabel() == "cross-entropy loss" and loss.get_yscale() == "log"
    assert cg.get_ylabel() == "CG iterations" and cg.get_yscale() == "linear"
    assert eta.get_ylabel() == "accepted η" and eta.get_yscale() == "log"
    assert [t.get_text() for t in acc.get_legend().get_texts()] == ["Adam", "GGN", "train", "validation"]
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["train loss", "validation loss"]
    colours = {"adam.h5": "#ff7f0e", "ggn.h5": "#d62728"}  # C1, C3: Adam's and GGN's colours in Figs. 1, 11
    for ax, quantities in ((acc, ("train_acc", "test_acc")), (loss, ("train_loss", "test_loss"))):
        assert [line.get_label() for line in train_lines(ax)] == ["Adam", "GGN"]
        assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"] * 2  # train solid, validation dashed
        for i, name in enumerate(("adam.h5", "ggn.h5")):
            hist = history(fig8_dir / name)
            for line, quantity in zip(ax.get_lines()[2 * i:2 * i + 2], quantities):
                assert matplotlib.colors.to_hex(line.get_color()) == colours[name]
                np.testing.assert_array_equal(line.get_xdata(), hist["step"][1:])  # log-x: no step 0
                drawn = hist[quantity][1:]
                np.testing.assert_array_equal(line.get_ydata(), np.maximum(drawn, FLOOR) if ax is loss else drawn)
    # The bottom row: the GGN run only; every row but step 0 (−1 / NaN there) is a GGN-CG step.
    ggn = history(fig8_dir / "ggn.h5")
    assert ggn["cg_iterations"][0] == -1 and np.isnan(ggn["lr"][0]) and (ggn["cg_iterations"][1:] >= 0).all()
    for ax, quantity in ((cg, "cg_iterations"), (eta, "lr")):
        (line,) = ax.get_lines()
        assert line.get_label() == "GGN" and matplotlib.colors.to_hex(line.get_color()) == colours["ggn.h5"]
        np.testing.assert_array_equal(line.get_xdata(), ggn["step"][1:])
        np.testing.assert_array_equal(line.get_ydata(), ggn[quantity][1:])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GGN"]
    assert set(eta.get_lines()[0].get_ydata()) <= {1.0, 0.5, 0.25}  # Armijo: η = 0.5^(trials − 1)
    title = fig._suptitle.get_text()
    assert title.startswith("Fig. 8:") and "p = 23" in title and "Adam vs GGN-CG" in title and "seed 0" in title
    assert [row["file"] for row in table] == ["adam.h5", "ggn.h5"] and list(table[0]) == COLUMNS


def test_cg_panels_skip_rows_without_a_cg_step(fig8_dir):
    """A row with cg_iterations −1 is no GGN-CG step: left out of both panels; a NaN η only of the η panel."""
    path = fig8_dir / "ggn.h5"
    with h5py.File(path, "r+") as f:
        f["history/cg_iterations"][7] = -1
        f["history/lr"][5] = np.nan
    hist = history(path)
    fig, table = fig8_transformer.figure(load_runs(fig8_dir))
    cg, eta = fig.axes[2:]
    steps = hist["step"]
    keep_cg = np.ones(steps.size, bool)
    keep_cg[[0, 7]] = False
    keep_eta = keep_cg.copy()
    keep_eta[5] = False
    np.testing.assert_array_equal(cg.get_lines()[0].get_xdata(), steps[keep_cg])
    np.testing.assert_array_equal(cg.get_lines()[0].get_ydata(), hist["cg_iterations"][keep_cg])
    np.testing.assert_array_equal(eta.get_lines()[0].get_xdata(), steps[keep_eta])
    np.testing.assert_array_equal(eta.get_lines()[0].get_ydata(), hist["lr"][keep_eta])
    assert table[1]["median CG iterations"] == np.median(hist["cg_iterations"][keep_cg])
    assert table[1]["median η"] == np.median(hist["lr"][keep_eta])


def test_cli_table_is_the_files_values(fig8_dir, tmp_path):
    out = tmp_path / "fig8.png"
    rows = cli_rows("fig8", fig8_dir, out, min_png=20_000)
    assert list(rows[0]) == COLUMNS
    assert [(row["optimizer"], row["file"]) for row in rows] == [("Adam", "adam.h5"), ("GGN", "ggn.h5")]
    for row in rows:
        hist = history(fig8_dir / row["file"])
        with h5py.File(fig8_dir / row["file"], "r") as f:
            for column, quantity in FINALS.items():
                assert float(row[column]) == pytest.approx(f.attrs[f"final_{quantity}"], rel=1e-5)
                assert float(row[column]) == pytest.approx(hist[quantity][-1], rel=1e-5)
            assert row["seed"] == str(f.attrs["seed"]) and row["status"] == "completed"
        assert row["validation acc ≥ 0.99 step"] == expected_first(hist, "test_acc", 0.99)
        assert row["train acc 1 step"] == expected_first(hist, "train_acc", 1.0)
    adam, ggn = rows
    assert adam["median CG iterations"] == adam["median η"] == "-"
    ggn_hist = history(fig8_dir / "ggn.h5")
    assert float(ggn["median CG iterations"]) == np.median(ggn_hist["cg_iterations"][1:])
    assert float(ggn["median η"]) == pytest.approx(np.median(ggn_hist["lr"][1:]), rel=1e-5)
    # The synthetic story: GGN fits the training set long before Adam, but only Adam reaches 99 % validation.
    assert int(ggn["train acc 1 step"]) < int(adam["train acc 1 step"])
    assert ggn["validation acc ≥ 0.99 step"] == "-" and int(adam["validation acc ≥ 0.99 step"]) > 1000
    assert float(adam["final train acc"]) == 1.0


def test_several_seeds_and_no_ggn_run(tmp_path):
    make_transformer_file(tmp_path / "ggn1.h5", "ggn", seed=1)
    make_transformer_file(tmp_path / "ggn0.h5", "ggn", seed=0, status="diverged")
    fig, table = fig8_transformer.figure(load_runs(tmp_path))
    acc, _, cg, eta = fig.axes
    assert [line.get_label() for line in acc.get_lines()] == ["GGN [diverged]", "_GGN [diverged]", "_GGN", "__GGN"]
    assert acc.get_lines()[2].get_linewidth() < acc.get_lines()[0].get_linewidth()  # seed 1 thin
    np.testing.assert_array_equal(cg.get_lines()[1].get_ydata(), history(tmp_path / "ggn1.h5")["cg_iterations"][1:])
    assert [(row["seed"], row["status"]) for row in table] == [(0, "diverged"), (1, "completed")]
    assert fig._suptitle.get_text().endswith("(seeds 0, 1)")
    adam_only = tmp_path / "adam"
    adam_only.mkdir()
    make_transformer_file(adam_only / "adam.h5", "adam")
    fig, table = fig8_transformer.figure(load_runs(adam_only))
    for ax in fig.axes[2:]:
        assert not ax.get_lines() and [t.get_text() for t in ax.texts] == ["no GGN runs"]
    assert "cg_iterations" not in history(adam_only / "adam.h5") and table[0]["median η"] == "-"


def test_cli_a_folder_without_transformer_runs(tmp_path):
    make_mnist_file(tmp_path / "mnist.h5", "adam", steps=300)
    make_transformer_file(tmp_path / "continue.h5", "ggn+adam")  # a phase run only: Fig. 12's
    make_run_file(tmp_path / "regression.h5", steps=3)
    result = cli("fig8", tmp_path, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, str(tmp_path), "fig8 needs a modular_addition_sequence run of Adam or GGN",
                            "3 run file(s)", "mnist, modular_addition_sequence, regression1d")
    assert not (tmp_path / "x.png").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_failure(cli("fig8", empty, "-o", tmp_path / "x.png"), str(empty), "no run files")


def test_a_ggn_run_without_cg_columns_is_named(tmp_path):
    make_transformer_file(tmp_path / "adam.h5", "adam")
    with h5py.File(make_transformer_file(tmp_path / "old.h5", "ggn"), "r+") as f:
        del f["history/cg_iterations"]
    with pytest.raises(RunFileError, match=r"^\S*old.h5: dataset /history/cg_iterations is missing"):
        fig8_transformer.draw(tmp_path, tmp_path / "x.png")
    assert_one_line_failure(cli("fig8", tmp_path, "-o", tmp_path / "x.png"), "old.h5", "/history/cg_iterations")


def test_a_loss_of_exactly_zero_is_drawn_at_the_floor(fig8_dir):
    """Log-y cannot draw machine zero: drawn at 1e-16, and the panel names the step (as in Fig. 11)."""
    path = fig8_dir / "ggn.h5"
    with h5py.File(path, "r+") as f:
        step = f["history/step"][()]
        loss = f["history/train_loss"][()]
        loss[step >= 5000] = 0.0
        f["history/train_loss"][...] = loss
    fig, _ = fig8_transformer.figure(load_runs(fig8_dir))
    loss_ax = fig.axes[1]
    ggn_train = loss_ax.get_lines()[2]
    np.testing.assert_array_equal(ggn_train.get_ydata(), np.maximum(loss[1:], FLOOR))
    assert ggn_train.get_ydata().min() == FLOOR
    assert [t.get_text() for t in loss_ax.texts] == [
        f"GGN train loss < 1e-16 from step {step[step >= 5000][0]}, drawn at 1e-16"]
