"""postprocess.fig11_ce and `python -m postprocess fig11`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import assert_one_line_failure, cli, cli_rows, make_pinn_file, make_run_file, train_lines
from mnist_builders import CE_THRESHOLD, make_ce_mnist_file, make_mnist_file
from postprocess import fig11_ce
from postprocess.runs import RunFileError, load_run, load_runs

OPTIMIZERS = ["sgd", "adam", "ggn"]
NAMES = ["SGD", "Adam", "GGN"]
GROKKING = ("train_acc_99_step", "test_acc_threshold_step", "grokking_delay")
FINALS = {"final train acc": "final_train_acc", "final test acc": "final_test_acc",
          "final train loss": "final_train_loss", "final test loss": "final_test_loss"}


@pytest.fixture
def fig11_dir(tmp_path):
    """jobs/fig11_mnist_ce.toml's three runs (written in scrambled order), plus files fig11 must skip:
    the same SGD run with the MSE loss, a Fig. 1 MNIST run (no loss.kind: MSE), a run of another task
    and a crashed run."""
    d = tmp_path / "fig11"
    d.mkdir()
    for opt in ("ggn", "sgd", "adam"):
        make_ce_mnist_file(d / f"fig11_mnist_ce__optimizer-{opt}.h5", opt)
    make_ce_mnist_file(d / "mse_sgd.h5", "sgd", seed=4, kind="mse")
    make_mnist_file(d / "fig1_adam.h5", "adam", 8.0, steps=300)
    make_run_file(d / "regression.h5", "sgd", steps=3)
    make_ce_mnist_file(d / "crashed.h5.partial", "adam", status="running")
    return d


def ce_file(d, optimizer):
    return d / f"fig11_mnist_ce__optimizer-{optimizer}.h5"


def first_below_floor(run, quantity):
    """The first step > 0 at which the file's loss is below 1e-16 (the builders' losses reach exactly 0)."""
    step, values = run.history["step"], run.history[quantity]
    return int(step[(step > 0) & (values < 1e-16)][0])


def test_selects_only_cross_entropy_mnist_runs(fig11_dir):
    runs = load_runs(fig11_dir)
    chosen = sorted(r.path.name for r in runs if fig11_ce.is_fig11_run(r))
    assert chosen == sorted(ce_file(fig11_dir, o).name for o in OPTIMIZERS)
    kinds = {r.path.name: fig11_ce.loss_kind(r) for r in runs}
    assert kinds["mse_sgd.h5"] == "mse" and kinds["fig1_adam.h5"] == "mse"  # pgdx's default when not set
    assert load_run(ce_file(fig11_dir, "ggn")).config["loss"] == {"kind": "cross_entropy", "reduction": "mean"}


def test_panels_follow_the_paper(fig11_dir):
    fig, table = fig11_ce.figure(load_runs(fig11_dir))
    assert len(fig.axes) == 7
    acc, loss, norm = fig.axes[:3], fig.axes[3:6], fig.axes[6]
    assert [ax.get_title() for ax in fig.axes] == ["SGD (η = 0.001)", "Adam (η = 0.001)", "GGN (η = 0.01)",
                                                  "", "", "", "weight norm (weight decay 0.01)"]
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_legend() is not None
        assert ax.get_xlim() == norm.get_xlim()  # one step range everywhere
    for ax in acc:
        assert ax.get_ylabel() == "accuracy" and ax.get_ylim() == (0.0, 1.02) and ax.get_yscale() == "linear"
    for ax in loss:
        assert ax.get_yscale() == "log" and ax.get_ylabel() == "cross-entropy loss" and ax.get_xlabel() == "step"
        assert ax.get_ylim() == loss[0].get_ylim()  # the loss row shares its y axis
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss", "test loss"]
    assert "weight norm" in norm.get_ylabel() and norm.get_xlabel() == "step" and norm.get_yscale() == "log"
    assert [t.get_text() for t in norm.get_legend().get_texts()] == NAMES
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in norm.get_lines()]
    assert len(set(colours)) == 3
    for i, (opt, name) in enumerate(zip(OPTIMIZERS, NAMES)):
        run = load_run(ce_file(fig11_dir, opt))
        steps = run.history["step"][1:]  # log-x: step 0 is not drawn
        assert [t.get_text() for t in acc[i].get_legend().get_texts()] == [name, "train", "test"]
        for ax, quantities in ((acc[i], ("train_acc", "test_acc")), (loss[i], ("train_loss", "test_loss"))):
            assert [line.get_label() for line in train_lines(ax)] == [name]
            assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"]  # train solid, test dashed
            for line, quantity in zip(ax.get_lines(), quantities):
                assert matplotlib.colors.to_hex(line.get_color()) == colours[i]
                np.testing.assert_array_equal(line.get_xdata(), steps)
                drawn = run.history[quantity][1:]
                if ax in loss:  # losses below the floor are drawn at it
                    drawn = np.maximum(drawn, fig11_ce.FLOOR)
                np.testing.assert_array_equal(line.get_ydata(), drawn)
        np.testing.assert_array_equal(norm.get_lines()[i].get_xdata(), steps)
        np.testing.assert_array_equal(norm.get_lines()[i].get_ydata(), run.history["weight_norm"][1:])
        # The training loss reaches exactly 0, which log-y cannot show: drawn at the floor, and the panel
        # says from where.
        assert [t.get_text() for t in loss[i].texts] == [
            f"train loss < 1e-16 from step {first_below_floor(run, 'train_loss')}, drawn at 1e-16"]
        assert loss[i].get_ylim()[0] == fig11_ce.FLOOR / 10
    title = fig._suptitle.get_text()
    assert title.startswith("Fig. 11:") and "784-200-200-10" in title and "α = 100" in title
    assert "200 training digits" in title and "seed 0" in title
    assert [row["optimizer"] for row in table] == NAMES


def test_seeds_status_and_a_missing_optimizer(tmp_path):
    make_ce_mnist_file(tmp_path / "sgd1.h5", "sgd", seed=1)
    make_ce_mnist_file(tmp_path / "sgd0.h5", "sgd", seed=0)
    make_ce_mnist_file(tmp_path / "adam.h5", "adam", status="diverged")
    fig, table = fig11_ce.figure(load_runs(tmp_path))
    sgd_acc, _, ggn_acc, sgd_loss, _, ggn_loss, norm = fig.axes
    assert len(sgd_acc.get_lines()) == 4 and [line.get_label() for line in train_lines(sgd_acc)] == ["SGD"]
    seed0, seed1 = sgd_acc.get_lines()[0], sgd_acc.get_lines()[2]
    assert seed1.get_label().startswith("_") and seed1.get_linewidth() < seed0.get_linewidth()
    np.testing.assert_array_equal(seed1.get_ydata(), load_run(tmp_path / "sgd1.h5").history["train_acc"][1:])
    assert [line.get_label() for line in norm.get_lines()] == ["SGD", "_SGD", "Adam [diverged]"]
    notes = sgd_loss.texts[0].get_text().splitlines()
    assert [note.split(" < ")[0] for note in notes] == ["train loss (seed 0)", "train loss (seed 1)"]
    for ax in (ggn_acc, ggn_loss):
        assert not ax.get_lines() and [t.get_text() for t in ax.texts] == ["no GGN runs"]
    assert ggn_acc.get_title() == "GGN"
    assert [(row["optimizer"], row["seed"], row["status"]) for row in table] == [
        ("SGD", 0, "completed"), ("SGD", 1, "completed"), ("Adam", 0, "diverged")]
    assert fig._suptitle.get_text().endswith("(seeds 0, 1)")


def test_cli_table_is_the_files_values(fig11_dir, tmp_path):
    out = tmp_path / "fig11.png"
    rows = cli_rows("fig11", fig11_dir, out, min_png=20_000)
    assert [row["file"] for row in rows] == [ce_file(fig11_dir, o).name for o in OPTIMIZERS]  # no MSE run
    assert [row["optimizer"] for row in rows] == NAMES
    assert list(rows[0]) == ["optimizer", "seed", "status", *FINALS, *GROKKING, "file"]
    for row in rows:
        with h5py.File(fig11_dir / row["file"], "r") as f:
            for column, attr in FINALS.items():
                assert float(row[column]) == pytest.approx(f.attrs[attr], rel=1e-5, abs=1e-300)
                assert float(row[column]) == pytest.approx(f[f"history/{attr[6:]}"][-1], rel=1e-5, abs=1e-300)
            for key in GROKKING:
                assert int(row[key]) == f.attrs[key]
            assert f.attrs["test_acc_threshold"] == CE_THRESHOLD
            assert row["seed"] == str(f.attrs["seed"]) and row["status"] == f.attrs["status"] == "completed"
        # The synthetic runs fit the training set, then jump past 70 % test accuracy much later.
        assert float(row["final train loss"]) == 0.0 and int(row["grokking_delay"]) > 1000


def test_cli_a_folder_without_cross_entropy_runs(tmp_path):
    make_mnist_file(tmp_path / "fig1.h5", "adamw", steps=300)
    make_ce_mnist_file(tmp_path / "mse.h5", "sgd", kind="mse")
    make_pinn_file(tmp_path / "pinn.h5", steps=3)
    result = cli("fig11", tmp_path, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, str(tmp_path), "fig11 needs mnist runs with loss.kind = 'cross_entropy'",
                            "3 run file(s)", "mnist, pinn_poisson")
    assert not (tmp_path / "x.png").exists()


def test_cli_empty_folder_and_unwritable_output(fig11_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_failure(cli("fig11", empty, "-o", tmp_path / "x.png"), str(empty), "no run files")
    assert_one_line_failure(cli("fig11", fig11_dir, "-o", tmp_path / "missing" / "x.png"), "cannot write")


@pytest.mark.parametrize("dataset", ["weight_norm", "test_loss", "test_acc"])
def test_a_run_without_a_drawn_dataset_is_named(tmp_path, dataset):
    make_ce_mnist_file(tmp_path / "sgd.h5", "sgd")
    with h5py.File(make_ce_mnist_file(tmp_path / "old.h5", "adam"), "r+") as f:
        del f[f"history/{dataset}"]
    with pytest.raises(RunFileError, match=rf"^\S*old.h5: dataset /history/{dataset} is missing"):
        fig11_ce.draw(tmp_path, tmp_path / "x.png")
    if dataset == "weight_norm":  # the CLI: one line, exit 2
        assert_one_line_failure(cli("fig11", tmp_path, "-o", tmp_path / "x.png"), "old.h5", "/history/weight_norm")


def test_draws_real_pgdx_runs(pgdx_fig11_runs, tmp_path):
    rows = cli_rows("fig11", pgdx_fig11_runs, tmp_path / "real11.png")
    files = sorted(p.name for p in pgdx_fig11_runs.glob("*.h5"))
    assert len(files) == 3 and sorted(row["file"] for row in rows) == files
    assert [row["optimizer"] for row in rows] == NAMES
    for row in rows:
        run = load_run(pgdx_fig11_runs / row["file"])
        assert run.task == "mnist" and fig11_ce.loss_kind(run) == "cross_entropy" and run.status == row["status"]
        assert run.optimizer == OPTIMIZERS[NAMES.index(row["optimizer"])] and run.alpha == 100.0
        for column, attr in FINALS.items():
            assert float(row[column]) == pytest.approx(run.attrs[attr], rel=1e-5)
            assert float(row[column]) == pytest.approx(run.history[attr[6:]][-1], rel=1e-5)
        for key in GROKKING:
            assert int(row[key]) == run.attrs[key]
        assert run.attrs["test_acc_threshold"] == 0.7 and run.history["step"].tolist() == list(range(13))
    fig, _ = fig11_ce.figure(load_runs(pgdx_fig11_runs))
    assert [len(ax.get_lines()) for ax in fig.axes] == [2] * 6 + [3]
    ggn = load_run(pgdx_fig11_runs / rows[2]["file"])
    np.testing.assert_array_equal(fig.axes[5].get_lines()[0].get_ydata(), ggn.history["train_loss"][1:])
    np.testing.assert_array_equal(fig.axes[6].get_lines()[2].get_ydata(), ggn.history["weight_norm"][1:])
