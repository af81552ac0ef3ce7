"""postprocess.fig10_losses and `python -m postprocess fig10`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import assert_one_line_failure, cli, cli_rows, make_run_file, train_lines
from mnist_builders import FIT_LOSS, first_step, make_mnist_file
from postprocess import fig10_losses
from postprocess.runs import load_run, load_runs

# The train-loss fall from the fit to the last step that the synthetic files are built with: LM's loss
# keeps falling after the fit, AdamW's much less; other values at α = 1, so that a wrong pick shows.
FALL = {("adamw", 8.0): 0.5, ("lm", 8.0): 1e-3, ("adamw", 1.0): 0.25, ("lm", 1.0): 1e-2}


def run_file(d, optimizer, alpha, seed=0):
    return d / f"fig1__model.init_scale-{alpha}__optimizer-{optimizer}__run.seed-{seed}.h5"


@pytest.fixture
def fig10_dir(tmp_path):
    """A Fig. 1 job folder: AdamW and LM at α = 1 and 8 with known loss falls, and what fig10 skips:
    SGD, a switching run, a run of another task and a run in progress."""
    d = tmp_path / "fig1"
    d.mkdir()
    for (optimizer, alpha), fall in FALL.items():
        make_mnist_file(run_file(d, optimizer, alpha), optimizer, alpha, loss_fall=fall)
    make_mnist_file(d / "sgd.h5", "sgd", 8.0)
    make_mnist_file(d / "switch.h5", "lm+adamw", 8.0, switch=200)
    make_run_file(d / "regression.h5", steps=3)
    make_mnist_file(d / "lm_seed5.h5.partial", "lm", 8.0, seed=5, status="running")
    return d


def figure_of(d, alpha=8.0):
    return fig10_losses.figure([r for r in load_runs(d) if r.task == "mnist"], alpha)


def test_panels_losses_on_shared_log_axes_accuracy_on_twins(fig10_dir):
    fig, table = figure_of(fig10_dir)
    adamw_ax, lm_ax, adamw_acc, lm_acc = fig.axes
    for ax, name in ((adamw_ax, "AdamW"), (lm_ax, "LM")):
        assert ax.get_title() == f"{name}, α = 8" and ax.get_ylabel() == "MSE loss" and ax.get_xlabel() == "step"
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert [line.get_linestyle() for line in ax.get_lines()] == ["-", ":"]  # train, test
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "seed 0", "train MSE", "test MSE", "test accuracy (right)"]
    for acc in (adamw_acc, lm_acc):
        assert acc.get_yscale() == "linear" and acc.get_ylim() == (0.0, 1.02) and acc.get_ylabel() == "test accuracy"
        (line,) = acc.get_lines()
        assert line.get_linestyle() == "-." and line.get_linewidth() < 1.0
    # One loss scale for both panels, covering AdamW's highest and LM's lowest loss.
    adamw, lm = load_run(run_file(fig10_dir, "adamw", 8.0)), load_run(run_file(fig10_dir, "lm", 8.0))
    low, high = lm_ax.get_ylim()
    assert adamw_ax.get_ylim() == (low, high)
    assert low <= lm.history["train_loss"][-1] and high >= adamw.history["test_loss"][1:].max()
    # The curves are the files' histories without step 0 (log-x), in the optimizers' Fig. 1 colours.
    for ax, acc, run, colour in ((adamw_ax, adamw_acc, adamw, "C2"), (lm_ax, lm_acc, lm, "C3")):
        train, test = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), run.history["step"][1:])
        np.testing.assert_array_equal(train.get_ydata(), run.history["train_loss"][1:])
        np.testing.assert_array_equal(test.get_ydata(), run.history["test_loss"][1:])
        np.testing.assert_array_equal(acc.get_lines()[0].get_ydata(), run.history["test_acc"][1:])
        assert {matplotlib.colors.to_hex(line.get_color()) for line in ax.get_lines() + acc.get_lines()} == {
            matplotlib.colors.to_hex(colour)}
    assert fig._suptitle.get_text().startswith("Fig. 10:") and "α = 8" in fig._suptitle.get_text()
    # Neither SGD, the switching run, α = 1 nor the run in progress.
    assert [row["file"] for row in table] == [run_file(fig10_dir, o, 8.0).name for o in ("adamw", "lm")]


def expected_row(path, fall):
    """The row the table must print for a file built with loss_fall=fall, from the file itself."""
    run = load_run(path)
    step, train_acc = run.history["step"], run.history["train_acc"]
    fit = first_step(step, train_acc, 0.99)
    assert fit == run.attrs["train_acc_99_step"] > 0  # the C++ rule's fit, reached before the end
    assert run.history["train_loss"][step == fit] == [FIT_LOSS]
    with h5py.File(path, "r") as f:
        return {"final train loss": f.attrs["final_train_loss"], "final test loss": f.attrs["final_test_loss"],
                "final test acc": f.attrs["final_test_acc"], "fit step": fit, "train loss fall after fit": fall}


@pytest.mark.parametrize("alpha", [8.0, 1.0])
def test_cli_table_is_the_files_values(fig10_dir, tmp_path, alpha):
    options = () if alpha == 8.0 else ("--alpha", f"{alpha:g}")  # 8 is the default
    rows = cli_rows("fig10", fig10_dir, tmp_path / "fig10.png", *options, min_png=20_000)
    assert [(row["optimizer"], float(row["α"]), row["seed"], row["status"]) for row in rows] == [
        ("AdamW", alpha, "0", "completed"), ("LM", alpha, "0", "completed")]
    for row, optimizer in zip(rows, ("adamw", "lm")):
        path = run_file(fig10_dir, optimizer, alpha)
        assert row["file"] == path.name
        expected = expected_row(path, FALL[(optimizer, alpha)])
        assert int(row["fit step"]) == expected.pop("fit step")
        for column, value in expected.items():
            assert float(row[column]) == pytest.approx(value, rel=1e-5), column
    # The files' story: LM ends far lower than AdamW.
    assert float(rows[1]["final train loss"]) < float(rows[0]["final train loss"])


def test_several_seeds_one_line_each_same_colour_per_seed(fig10_dir):
    for optimizer in ("adamw", "lm"):
        make_mnist_file(run_file(fig10_dir, optimizer, 8.0, seed=1), optimizer, 8.0, seed=1, loss_fall=0.1)
    fig, table = figure_of(fig10_dir)
    adamw_ax, lm_ax, adamw_acc, _ = fig.axes
    colours = []
    for ax in (adamw_ax, lm_ax):
        lines = train_lines(ax)
        assert [line.get_label() for line in lines] == ["seed 0", "seed 1"] and len(ax.get_lines()) == 4
        colours.append([matplotlib.colors.to_hex(line.get_color()) for line in lines])
    assert colours[0] == colours[1] and len(set(colours[0])) == 2  # a seed keeps its colour across panels
    assert len(adamw_acc.get_lines()) == 2
    np.testing.assert_array_equal(
        lm_ax.get_lines()[2].get_ydata(), load_run(run_file(fig10_dir, "lm", 8.0, seed=1)).history["train_loss"][1:])
    assert [(row["optimizer"], row["seed"]) for row in table] == [("AdamW", 0), ("AdamW", 1), ("LM", 0), ("LM", 1)]
    assert table[3]["train loss fall after fit"] == pytest.approx(0.1)
    assert "seeds 0, 1" in fig._suptitle.get_text()


def test_unfinished_run_without_fit_is_flagged(fig10_dir):
    """A run that stopped before train accuracy 0.99 has its status in the legend and no fall."""
    make_mnist_file(run_file(fig10_dir, "lm", 8.0), "lm", 8.0, steps=5, status="diverged")
    fig, table = figure_of(fig10_dir)
    assert [line.get_label() for line in train_lines(fig.axes[1])] == ["seed 0 [diverged]"]
    assert (table[1]["status"], table[1]["fit step"], table[1]["train loss fall after fit"]) == ("diverged", "-", "-")


def test_cli_missing_lm_run_is_one_line(fig10_dir, tmp_path):
    run_file(fig10_dir, "lm", 8.0).unlink()  # the LM run in progress (.h5.partial) does not count
    out = tmp_path / "x.png"
    assert_one_line_failure(cli("fig10", fig10_dir, "-o", out), str(fig10_dir), "fig10 needs",
                            "no LM run at α = 8 (LM runs at α = 1)")
    assert not out.exists()


def test_cli_missing_adamw_runs_is_one_line(fig10_dir, tmp_path):
    for alpha in (1.0, 8.0):
        run_file(fig10_dir, "adamw", alpha).unlink()
    assert_one_line_failure(cli("fig10", fig10_dir, "-o", tmp_path / "x.png", "--alpha", "2"), str(fig10_dir),
                            "no AdamW run at α = 2 (no AdamW runs at all); no LM run at α = 2 (LM runs at α = 1, 8)")


def test_cli_empty_and_wrong_task_folders(tmp_path):
    assert_one_line_failure(cli("fig10", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "no run files")
    make_run_file(tmp_path / "r.h5", steps=3)
    assert_one_line_failure(cli("fig10", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path),
                            "fig10 needs pure AdamW and LM mnist runs", "regression1d")


def test_draws_real_pgdx_runs(pgdx_fig1_mnist_runs, tmp_path):
    """The α = 8 AdamW and LM runs of the Fig. 1 smoke sweep (15 steps)."""
    rows = cli_rows("fig10", pgdx_fig1_mnist_runs, tmp_path / "real10.png")
    assert [(row["optimizer"], row["α"]) for row in rows] == [("AdamW", "8"), ("LM", "8")]
    for row in rows:
        run = load_run(pgdx_fig1_mnist_runs / row["file"])
        assert run.status == row["status"] and run.alpha == 8.0
        loss, step = run.history["train_loss"], run.history["step"]
        assert float(row["final train loss"]) == pytest.approx(loss[-1], rel=1e-5)
        assert float(row["final test acc"]) == pytest.approx(run.attrs["final_test_acc"], rel=1e-5)
        fit = first_step(step, run.history["train_acc"], 0.99)
        if fit < 0:
            assert row["fit step"] == row["train loss fall after fit"] == "-"
        else:
            assert int(row["fit step"]) == fit
            assert float(row["train loss fall after fit"]) == pytest.approx(loss[-1] / loss[step == fit][0], rel=1e-5)
