"""postprocess.fig1_mnist and `python -m postprocess fig1`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import (PNG_MAGIC, assert_one_line_failure, cli, make_pinn_file, make_run_file, markdown_table,
                      train_lines)
from mnist_builders import make_mnist_file
from postprocess import fig1_mnist
from postprocess.runs import RunFileError, load_run, load_runs

OPTIMIZERS = ["sgd", "adam", "adamw", "lm"]
NAMES = ["SGD", "Adam", "AdamW", "LM"]
ALPHAS = [1.0, 2.0, 4.0, 8.0]
GROKKING = ("train_acc_99_step", "test_acc_threshold_step", "grokking_delay")


@pytest.fixture
def fig1_dir(tmp_path):
    """jobs/fig1_mnist.toml's grid (4 optimizers × 4 α, written in scrambled order), plus files that
    fig1 must skip: a switching run, a run of another task and a crashed run."""
    d = tmp_path / "fig1"
    d.mkdir()
    for alpha in reversed(ALPHAS):
        for opt in ("lm", "sgd", "adamw", "adam"):
            make_mnist_file(d / f"fig1__model.init_scale-{alpha}__optimizer-{opt}.h5", opt, alpha)
    make_mnist_file(d / "switch.h5", "lm+adamw", 8.0, switch=200)
    make_run_file(d / "regression.h5", "sgd", steps=3)
    make_mnist_file(d / "crashed.h5.partial", "adam", status="running")
    return d


def test_loader_reads_mnist_runs(tmp_path):
    run = load_run(make_mnist_file(tmp_path / "m.h5", "adamw", 4.0, seed=3))
    assert run.task == "mnist" and run.alpha == 4.0 and run.attrs["seed"] == 3 and not run.is_switching
    assert run.phases_end_step.size == 0 and run.config["optimizer"]["weight_decay"] == 0.1
    assert run.history["train_acc"].shape == run.history["step"].shape
    switch = load_run(make_mnist_file(tmp_path / "s.h5", "lm+adamw", switch=200))
    assert switch.is_switching and switch.phases_end_step.tolist() == [200, 2000]
    assert [p["optimizer"]["name"] for p in switch.config["phase"]] == ["lm", "adamw"]
    # Runs of other tasks still load; α defaults to pgdx's 1.
    other = load_run(make_run_file(tmp_path / "r.h5"))
    assert other.alpha == 1.0 and other.phases_end_step.size == 0 and not other.is_switching


def test_panels_follow_the_paper(fig1_dir):
    runs = [r for r in load_runs(fig1_dir) if r.task == "mnist" and not r.is_switching]
    fig, table = fig1_mnist.figure(runs)
    assert len(fig.axes) == 4
    acc, norm, adamw, lm = fig.axes
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "step" and ax.get_title()
        assert ax.get_legend() is not None
    assert [ax.get_ylabel() for ax in (acc, adamw, lm)] == ["accuracy"] * 3 and "weight norm" in norm.get_ylabel()
    # Top row: one train (solid) and one test (dotted) line per optimizer at α = 8, paper order.
    assert len(acc.get_lines()) == 8 and len(norm.get_lines()) == 4
    assert [line.get_label() for line in train_lines(acc)] == NAMES
    assert [line.get_linestyle() for line in acc.get_lines()] == ["-", ":"] * 4
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in train_lines(acc)]
    assert len(set(colours)) == 4
    assert colours == [matplotlib.colors.to_hex(line.get_color()) for line in norm.get_lines()]
    legend = [t.get_text() for t in acc.get_legend().get_texts()]
    assert legend == NAMES + ["train", "test"]
    # Bottom row: one colour per α, from a sequential colour map (dark → light).
    for ax in (adamw, lm):
        assert len(ax.get_lines()) == 8
        assert [line.get_label() for line in train_lines(ax)] == [f"α = {a:g}" for a in ALPHAS]
        lightness = [np.mean(matplotlib.colors.to_rgb(line.get_color())) for line in train_lines(ax)]
        assert lightness == sorted(lightness) and len(set(lightness)) == 4
    assert adamw.get_title().startswith("AdamW") and lm.get_title().startswith("LM")
    # The curves are the files' histories without step 0 (log-x).
    run = load_run(fig1_dir / "fig1__model.init_scale-8.0__optimizer-adamw.h5")
    line, dotted = acc.get_lines()[4:6]
    np.testing.assert_array_equal(line.get_xdata(), run.history["step"][1:])
    np.testing.assert_array_equal(line.get_ydata(), run.history["train_acc"][1:])
    np.testing.assert_array_equal(dotted.get_ydata(), run.history["test_acc"][1:])
    np.testing.assert_array_equal(norm.get_lines()[2].get_ydata(), run.history["weight_norm"][1:])
    run1 = load_run(fig1_dir / "fig1__model.init_scale-1.0__optimizer-lm.h5")
    np.testing.assert_array_equal(lm.get_lines()[0].get_ydata(), run1.history["train_acc"][1:])
    assert fig._suptitle.get_text().startswith("Fig. 1:")
    assert len(table) == 16 and {row["optimizer"] for row in table} == set(NAMES)


def test_alpha_option_and_extra_seeds(fig1_dir, tmp_path):
    make_mnist_file(fig1_dir / "adamw_seed1.h5", "adamw", 2.0, seed=1)
    runs = [r for r in load_runs(fig1_dir) if not r.is_switching and r.task == "mnist"]
    fig, table = fig1_mnist.figure(runs, alpha=2.0)
    acc = fig.axes[0]
    assert acc.get_title() == "accuracy, α = 2"
    assert len(acc.get_lines()) == 10  # the second AdamW seed adds two thin, unlabelled lines
    assert [line.get_label() for line in train_lines(acc)] == NAMES
    seed0, seed1 = acc.get_lines()[4], acc.get_lines()[6]
    assert seed1.get_label().startswith("_") and seed1.get_linewidth() < seed0.get_linewidth()
    assert seed0.get_color() == seed1.get_color()
    np.testing.assert_array_equal(seed1.get_ydata(), load_run(fig1_dir / "adamw_seed1.h5").history["train_acc"][1:])
    assert len(table) == 17
    result = cli("fig1", fig1_dir, "-o", tmp_path / "a2.png", "--alpha", "2")
    assert result.returncode == 0, result.stderr
    assert cli("fig1", fig1_dir, "-o", tmp_path / "x.png", "--alpha", "-1").returncode == 2  # argparse


def test_missing_optimizers_and_status(tmp_path):
    make_mnist_file(tmp_path / "sgd.h5", "sgd", 8.0, status="diverged")
    fig, table = fig1_mnist.figure(load_runs(tmp_path))
    acc, _, adamw, lm = fig.axes
    assert [line.get_label() for line in train_lines(acc)] == ["SGD [diverged]"]
    assert not adamw.get_lines() and not lm.get_lines()
    assert "no AdamW runs" in [t.get_text() for t in adamw.texts]
    assert table[0]["status"] == "diverged"


def test_cli_table_is_the_files_attributes(fig1_dir, tmp_path):
    out = tmp_path / "fig1.png"
    result = cli("fig1", fig1_dir, "-o", out)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 20_000
    first, rows = markdown_table(result.stdout)
    assert first == str(out) and len(rows) == 16  # neither the switching run nor the regression run
    assert [row["optimizer"] for row in rows] == [n for n in NAMES for _ in ALPHAS]
    assert [float(row["α"]) for row in rows] == ALPHAS * 4
    for row in rows:
        with h5py.File(fig1_dir / row["file"], "r") as f:
            assert float(row["final train acc"]) == pytest.approx(f.attrs["final_train_acc"], rel=1e-5)
            assert float(row["final test acc"]) == pytest.approx(f.attrs["final_test_acc"], rel=1e-5)
            for key in GROKKING:
                assert int(row[key]) == f.attrs[key]
            assert f"init_scale = {float(row['α'])!r}" in f.attrs["config"]
            assert row["optimizer"].lower() == f.attrs["optimizer"] and row["seed"] == str(f.attrs["seed"])
        assert row["status"] == "completed"
    # The synthetic histories reach both thresholds for some runs and not for others.
    delays = [int(row["grokking_delay"]) for row in rows]
    assert -1 in delays and any(d > 0 for d in delays)


def test_cli_empty_folder(tmp_path):
    assert_one_line_failure(cli("fig1", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "no run files")


def test_cli_folder_of_another_task(tmp_path):
    make_pinn_file(tmp_path / "p.h5", steps=3)
    result = cli("fig1", tmp_path, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, str(tmp_path), "fig1 needs single-optimizer mnist runs", "pinn_poisson")
    assert not (tmp_path / "x.png").exists()


def test_only_switching_runs_is_an_error(tmp_path):
    make_mnist_file(tmp_path / "s.h5", "lm+adamw", switch=200)
    with pytest.raises(RunFileError, match="fig1 needs single-optimizer mnist runs"):
        fig1_mnist.draw(tmp_path, tmp_path / "x.png")


def test_an_mnist_run_without_accuracies_is_named(fig1_dir, tmp_path):
    path = make_mnist_file(fig1_dir / "old.h5", "sgd")
    with h5py.File(path, "r+") as f:
        del f["history/test_acc"]
    assert_one_line_failure(cli("fig1", fig1_dir, "-o", tmp_path / "x.png"), "old.h5", "/history/test_acc")


def test_draws_real_pgdx_runs(pgdx_fig1_mnist_runs, tmp_path):
    out = tmp_path / "real1.png"
    result = cli("fig1", pgdx_fig1_mnist_runs, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC
    _, rows = markdown_table(result.stdout)
    files = sorted(p.name for p in pgdx_fig1_mnist_runs.glob("*.h5"))
    assert sorted(row["file"] for row in rows) == files and len(files) == 8
    assert [row["optimizer"] for row in rows] == [n for n in NAMES for _ in (1, 8)]
    for row in rows:
        run = load_run(pgdx_fig1_mnist_runs / row["file"])
        assert run.task == "mnist" and run.alpha == float(row["α"]) and run.status == row["status"]
        assert float(row["final test acc"]) == pytest.approx(run.attrs["final_test_acc"], rel=1e-5)
        assert float(row["final test acc"]) == pytest.approx(run.history["test_acc"][-1], rel=1e-5)
        for key in GROKKING:
            assert int(row[key]) == run.attrs[key]
        assert run.history["step"].tolist() == list(range(16))
    fig, _ = fig1_mnist.figure(load_runs(pgdx_fig1_mnist_runs))
    assert [len(ax.get_lines()) for ax in fig.axes] == [8, 4, 4, 4]
