"""postprocess.fig5_modular and `python -m postprocess fig5`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import PNG_MAGIC, assert_one_line_failure, cli, cli_rows, make_pinn_file, train_lines
from grokking_builders import make_modular_file
from mnist_builders import make_mnist_file
from postprocess import fig5_modular
from postprocess.runs import RunFileError, load_run, load_runs

SCALES = [0.5, 1.0, 1.5, 2.0]
LABELS = ["s = 0.5", "s = 1", "s = 1.5", "s = 2"]
GROKKING = ("train_acc_99_step", "test_acc_threshold_step", "grokking_delay")


@pytest.fixture
def fig5_dir(tmp_path):
    """jobs/fig5_modular_mlp.toml's grid (SGD and LM × 4 s, written in scrambled order), plus files
    fig5 must skip: an Adam run of the task, an MNIST run and a crashed run."""
    d = tmp_path / "fig5"
    d.mkdir()
    for s in reversed(SCALES):
        for opt in ("lm", "sgd"):
            make_modular_file(d / f"fig5__optimizer.name-{opt}__scale-s{s}.h5", opt, s)
    make_modular_file(d / "adam.h5", "adam", 1.0)
    make_mnist_file(d / "mnist.h5", "sgd", steps=40)
    make_modular_file(d / "crashed.h5.partial", "sgd", 1.0, status="running")
    return d


def test_s_is_one_over_the_residual_scale(tmp_path):
    for s in SCALES + [1.8]:
        run = load_run(make_modular_file(tmp_path / f"{s}.h5", "sgd", s, steps=5))
        assert run.task == "modular_mlp" and run.config["loss"]["residual_scale"] == 1.0 / s
        assert fig5_modular.scale(run) == s
    assert 1.0 / (1.0 / 1.8) != 1.8  # the rounding in scale() is needed
    path = make_modular_file(tmp_path / "default.h5", "lm", 2.0, steps=5)
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = f.attrs["config"].replace("residual_scale = 0.5\n", "")
    assert fig5_modular.scale(load_run(path)) == 1.0  # pgdx's default residual_scale
    for bad in ("0.0", "-2.0", "'x'", "true"):
        with h5py.File(path, "r+") as f:
            f.attrs["config"] = f.attrs["config"].replace("[loss]\n", f"[loss]\nresidual_scale = {bad}\n", 1)
        with pytest.raises(RunFileError, match=r"default.h5: config loss.residual_scale = .*expected a positive"):
            fig5_modular.scale(load_run(path))
        with h5py.File(path, "r+") as f:
            f.attrs["config"] = f.attrs["config"].replace(f"residual_scale = {bad}\n", "")


def test_panels_follow_the_paper(fig5_dir):
    fig, table = fig5_modular.figure(load_runs(fig5_dir))  # skips the MNIST and the Adam run
    assert len(fig.axes) == 4
    sgd_acc, lm_acc, sgd_loss, lm_loss = fig.axes  # row by row
    assert [ax.get_title() for ax in fig.axes] == ["SGD", "LM", "", ""]
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_legend() is not None
        assert len(ax.get_lines()) == 8  # train and test per s; the Adam run is not drawn
        assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"] * 4
        assert [line.get_label() for line in train_lines(ax)] == LABELS
    for ax in (sgd_acc, lm_acc):
        assert ax.get_ylabel() == "accuracy" and ax.get_ylim() == (0.0, 1.02) and ax.get_yscale() == "linear"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == LABELS + ["train", "test"]
    for ax in (sgd_loss, lm_loss):
        assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch" and "loss" in ax.get_ylabel()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss", "test loss"]
    assert sgd_loss.get_ylim() == lm_loss.get_ylim()  # rows share their y axis
    # One colour per s, along a sequential colour map (dark → light), the same in every panel.
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in train_lines(sgd_acc)]
    lightness = [np.mean(matplotlib.colors.to_rgb(c)) for c in colours]
    assert lightness == sorted(lightness) and len(set(colours)) == 4
    for ax in fig.axes[1:]:
        assert [matplotlib.colors.to_hex(line.get_color()) for line in train_lines(ax)] == colours
    # The curves are the files' histories without step 0 (log-x): accuracies on top, losses below.
    run = load_run(fig5_dir / "fig5__optimizer.name-sgd__scale-s1.5.h5")
    steps = run.history["step"][1:]
    for ax, quantities in ((sgd_acc, ("train_acc", "test_acc")), (sgd_loss, ("train_loss", "test_loss"))):
        solid, dashed = ax.get_lines()[4:6]
        for line, quantity in ((solid, quantities[0]), (dashed, quantities[1])):
            np.testing.assert_array_equal(line.get_xdata(), steps)
            np.testing.assert_array_equal(line.get_ydata(), run.history[quantity][1:])
    lm = load_run(fig5_dir / "fig5__optimizer.name-lm__scale-s0.5.h5")
    np.testing.assert_array_equal(lm_acc.get_lines()[1].get_ydata(), lm.history["test_acc"][1:])
    assert fig._suptitle.get_text().startswith("Fig. 5: modular addition mod 23")
    assert [(row["optimizer"], row["s"]) for row in table] == [(o, s) for o in ("SGD", "LM") for s in SCALES]


def test_seeds_status_and_a_missing_column(tmp_path):
    make_modular_file(tmp_path / "s0.h5", "sgd", 1.0)
    make_modular_file(tmp_path / "s1.h5", "sgd", 1.0, seed=1)
    make_modular_file(tmp_path / "d.h5", "sgd", 2.0, status="diverged")
    fig, table = fig5_modular.figure(load_runs(tmp_path))
    sgd_acc, lm_acc, _, lm_loss = fig.axes
    assert [line.get_label() for line in sgd_acc.get_lines()] == [
        "s = 1", "_s = 1", "_s = 1", "__s = 1", "s = 2 [diverged]", "_s = 2 [diverged]"]
    seed0, seed1 = sgd_acc.get_lines()[0], sgd_acc.get_lines()[2]
    assert matplotlib.colors.to_hex(seed0.get_color()) == matplotlib.colors.to_hex(seed1.get_color())
    assert seed1.get_linewidth() < seed0.get_linewidth()
    np.testing.assert_array_equal(seed1.get_ydata(), load_run(tmp_path / "s1.h5").history["train_acc"][1:])
    # No LM runs: the LM column says so instead of staying blank.
    assert not lm_acc.get_lines() and "no LM runs" in [t.get_text() for t in lm_acc.texts]
    assert "no LM runs" in [t.get_text() for t in lm_loss.texts]
    assert [(row["seed"], row["status"]) for row in table] == [(0, "completed"), (1, "completed"), (0, "diverged")]


def test_cli_table_is_the_files_attributes(fig5_dir, tmp_path):
    rows = cli_rows("fig5", fig5_dir, tmp_path / "fig5.png", min_png=20_000)
    assert len(rows) == 8  # neither the Adam, the MNIST nor the crashed run
    assert [row["optimizer"] for row in rows] == ["SGD"] * 4 + ["LM"] * 4
    assert [float(row["s"]) for row in rows] == SCALES * 2
    for row in rows:
        with h5py.File(fig5_dir / row["file"], "r") as f:
            assert f.attrs["task"] == "modular_mlp" and row["optimizer"].lower() == f.attrs["optimizer"]
            assert f"residual_scale = {1.0 / float(row['s'])!r}" in f.attrs["config"]
            assert f"scale-s{float(row['s'])}" in row["file"]
            assert float(row["final train acc"]) == pytest.approx(f.attrs["final_train_acc"], rel=1e-5)
            assert float(row["final test acc"]) == pytest.approx(f.attrs["final_test_acc"], rel=1e-5)
            assert float(row["final test acc"]) == pytest.approx(f["history/test_acc"][-1], rel=1e-5)
            for key in GROKKING:
                assert int(row[key]) == f.attrs[key]
        assert row["status"] == "completed" and row["seed"] == "0"
    # SGD's delay grows with s until the test accuracy never reaches the threshold; LM's barely moves.
    sgd_delays = [int(row["grokking_delay"]) for row in rows[:4]]
    assert 0 < sgd_delays[0] < sgd_delays[1] and sgd_delays[2:] == [-1, -1]
    assert all(0 < int(row["grokking_delay"]) < sgd_delays[1] for row in rows[4:])
    assert len({row["final test acc"] for row in rows}) == 8  # no row paired with the wrong file


def test_cli_empty_folder(tmp_path):
    assert_one_line_failure(cli("fig5", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "no run files")


def test_cli_folder_of_another_task(tmp_path):
    make_pinn_file(tmp_path / "p.h5", steps=3)
    make_modular_file(tmp_path / "adam.h5", "adam", 1.0, steps=5)
    result = cli("fig5", tmp_path, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, str(tmp_path), "fig5 needs modular_mlp runs of SGD or LM",
                            "modular_mlp, pinn_poisson")
    assert not (tmp_path / "x.png").exists()


def test_cli_run_without_test_accuracy_is_named(fig5_dir, tmp_path):
    path = make_modular_file(fig5_dir / "old.h5", "lm", 1.0, steps=5)
    with h5py.File(path, "r+") as f:
        del f["history/test_acc"]
    assert_one_line_failure(cli("fig5", fig5_dir, "-o", tmp_path / "x.png"), "old.h5", "/history/test_acc",
                            "modular_mlp run")


def test_cli_bad_residual_scale_and_truncated_file(tmp_path):
    path = make_modular_file(tmp_path / "bad.h5", "sgd", 1.0, steps=5)
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = f.attrs["config"].replace("residual_scale = 1.0", "residual_scale = 0.0")
    assert_one_line_failure(cli("fig5", tmp_path, "-o", tmp_path / "x.png"), "bad.h5",
                            "loss.residual_scale = 0.0")
    path.write_bytes(path.read_bytes()[:1000])
    assert_one_line_failure(cli("fig5", tmp_path, "-o", tmp_path / "x.png"), "bad.h5", "truncated")


def test_draws_real_pgdx_runs(pgdx_fig5_runs, tmp_path):
    out = tmp_path / "real5.png"
    rows = [{key: str(value) for key, value in row.items()} for row in fig5_modular.draw(pgdx_fig5_runs, out)]
    assert out.read_bytes()[:8] == PNG_MAGIC
    files = sorted(p.name for p in pgdx_fig5_runs.glob("*.h5"))
    assert sorted(row["file"] for row in rows) == files and len(files) == 4
    # The smoke sweeps s ∈ {0.5, 2} (linked entries set loss.residual_scale = 1/s and name the point).
    assert [(row["optimizer"], float(row["s"])) for row in rows] == [
        ("SGD", 0.5), ("SGD", 2.0), ("LM", 0.5), ("LM", 2.0)]
    for row in rows:
        run = load_run(pgdx_fig5_runs / row["file"])
        assert run.task == "modular_mlp" and run.status == row["status"] == "completed"
        assert f"loss.residual_scale={1.0 / float(row['s'])}" in run.attrs["overrides"]
        assert f"scale-s{float(row['s'])}" in row["file"]
        assert run.history["step"].tolist() == list(range(21))  # every epoch recorded
        assert float(row["final train acc"]) == pytest.approx(run.history["train_acc"][-1], rel=1e-5)
        assert float(row["final test acc"]) == pytest.approx(run.attrs["final_test_acc"], rel=1e-5)
        for key in GROKKING:
            assert int(row[key]) == run.attrs[key]
    fig, table = fig5_modular.figure(load_runs(pgdx_fig5_runs))
    assert [len(ax.get_lines()) for ax in fig.axes] == [4, 4, 4, 4]
    sgd_loss = fig.axes[2]
    run = load_run(pgdx_fig5_runs / rows[1]["file"])
    np.testing.assert_array_equal(sgd_loss.get_lines()[2].get_ydata(), run.history["train_loss"][1:])
    assert len(table) == 4
