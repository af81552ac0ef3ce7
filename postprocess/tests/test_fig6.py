"""postprocess.fig6_polynomial and `python -m postprocess fig6`: synthetic files of the full job's
sizes (m = 128, 60 000 steps) and the binary's smoke runs."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import PNG_MAGIC, assert_one_line_failure, cli, cli_rows, train_lines
from grokking_builders import make_modular_file, make_polynomial_file
from postprocess import fig6_polynomial
from postprocess.runs import RunFileError, load_run, load_runs

ALPHAS = [1.0, 2.0, 4.0, 8.0, 16.0]
LABELS = ["α = 1", "α = 2", "α = 4", "α = 8", "α = 16"]


@pytest.fixture(scope="module")
def fig6_dir(tmp_path_factory):
    """GD and LM × 5 α (written in scrambled order), plus files fig6 must skip: a run of another
    task, an Adam run of the task and a crashed run. Read-only for the tests that use it."""
    d = tmp_path_factory.mktemp("fig6")
    for a in (16.0, 1.0, 4.0, 2.0, 8.0):
        for opt in ("lm", "sgd"):
            make_polynomial_file(d / f"fig6__optimizer.name-{opt}__model.output_scale-{a}.h5", opt, a)
    make_polynomial_file(d / "adam.h5", "adam", 1.0, steps=100)
    make_modular_file(d / "modular.h5", "sgd", 1.0, steps=5)
    make_polynomial_file(d / "crashed.h5.partial", "sgd", 1.0, status="running")
    return d


def by_loops(path, mode=-1):
    """What fig6 should draw and print for one file, from h5py directly with plain loops."""
    with h5py.File(path, "r") as f:
        step, modes = f["history/step"][()], f["subspace/modes"][()]
        losses = {q: f[f"history/{q}"][()] for q in ("train_loss", "test_loss")}
        rays = {ray: f[f"subspace/fft_error_{ray}"][()] for ray in ("train", "test")}
        alpha = float(f.attrs["config"].split("output_scale = ")[1].split("\n")[0])
    assert step[0] == 0
    normalised = {q: [v / values[0] for v in values] for q, values in losses.items()}
    crossing = {}
    for q, values in normalised.items():
        crossing[q] = -1
        for s, v in zip(step, values):
            if v < 0.1:
                crossing[q] = int(s)
                break
    column = len(modes) - 1 if mode == -1 else list(modes).index(mode)
    return dict(step=step, alpha=alpha, normalised=normalised, crossing=crossing,
                rays={ray: error[:, column] for ray, error in rays.items()})


def test_loader_reads_the_subspace_group(tmp_path):
    path = make_polynomial_file(tmp_path / "p.h5", "lm", 4.0)
    run = load_run(path)
    assert run.task == "polynomial_teacher" and run.optimizer == "lm" and fig6_polynomial.alpha(run) == 4.0
    assert run.config["model"]["kind"] == "committee" and run.config["task"]["subspace_points"] == 128
    sub = run.subspace
    assert sub.modes.tolist() == list(range(65)) and sub.modes.dtype == np.int64
    np.testing.assert_array_equal(sub.step, run.history["step"])
    assert sub.train.shape == sub.test.shape == (sub.step.size, 65) and sub.step[-1] == 60000
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(sub.train, f["subspace/fft_error_train"][()])
        np.testing.assert_array_equal(sub.test, f["subspace/fft_error_test"][()])
    # e_k = (1/m)|DFT_k(r)| of a residual quadratic in c_j = j/(m−1): the builder follows the layout.
    c = np.arange(128) / 127
    r = 0.2 * c - 2.5 * c * c  # the test ray's residual at step 0 (decay 1)
    e64 = abs(sum(r[j] * np.exp(-2j * np.pi * 64 * j / 128) for j in range(128))) / 128
    assert sub.test[0, -1] == pytest.approx(e64, rel=1e-12)
    # Other tasks have no /subspace; columns that do not match the modes are refused.
    assert load_run(make_modular_file(tmp_path / "m.h5", steps=3)).subspace is None
    with h5py.File(path, "r+") as f:
        del f["subspace/modes"]
        f["subspace/modes"] = np.arange(64, dtype=np.int64)
    with pytest.raises(RunFileError, match=r"p.h5: /subspace/fft_error_train has shape \(\d+, 65\) but "
                                           r"/subspace/modes has 64 entries"):
        load_run(path).subspace


def test_panels_follow_the_paper(fig6_dir):
    fig, table = fig6_polynomial.figure(load_runs(fig6_dir))
    assert len(fig.axes) == 4
    gd_loss, lm_loss, gd_ray, lm_ray = fig.axes
    assert [ax.get_title() for ax in fig.axes] == ["GD: train and test loss", "LM: train and test loss",
                                                   "GD: error along two rays", "LM: error along two rays"]
    for ax in fig.axes:
        assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_xlabel() == "iteration"
        assert len(ax.get_lines()) == 10  # two per α; neither the Adam nor the modular run
        assert [line.get_label() for line in train_lines(ax)] == LABELS
        lightness = [np.mean(matplotlib.colors.to_rgb(line.get_color())) for line in train_lines(ax)]
        assert lightness == sorted(lightness) and len(set(lightness)) == 5
    for ax in (gd_loss, lm_loss):
        assert ax.get_ylabel() == "loss / loss at step 0"
        assert [line.get_linestyle() for line in ax.get_lines()] == ["-", ":"] * 5
        assert [t.get_text() for t in ax.get_legend().get_texts()] == LABELS + ["train", "test"]
    for ax in (gd_ray, lm_ray):
        assert ax.get_ylabel() == "subspace error $e_k$, k = 64"  # the last mode, k = m/2
        assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"] * 5
        assert [t.get_text() for t in ax.get_legend().get_texts()] == LABELS + ["train ray", "test ray (1, …, 1)"]
    assert gd_loss.get_ylim() == lm_loss.get_ylim() and gd_ray.get_ylim() == lm_ray.get_ylim()
    # The lines are the normalised losses and the ray errors of the last mode, without step 0 (log-x).
    for ax_loss, ax_ray, optimizer in ((gd_loss, gd_ray, "sgd"), (lm_loss, lm_ray, "lm")):
        for i, a in enumerate(ALPHAS):
            expected = by_loops(fig6_dir / f"fig6__optimizer.name-{optimizer}__model.output_scale-{a}.h5")
            train, test = ax_loss.get_lines()[2 * i: 2 * i + 2]
            train_ray, test_ray = ax_ray.get_lines()[2 * i: 2 * i + 2]
            for line in (train, test, train_ray, test_ray):
                np.testing.assert_array_equal(line.get_xdata(), expected["step"][1:])
            np.testing.assert_allclose(train.get_ydata(), expected["normalised"]["train_loss"][1:], rtol=1e-14)
            np.testing.assert_allclose(test.get_ydata(), expected["normalised"]["test_loss"][1:], rtol=1e-14)
            np.testing.assert_array_equal(train_ray.get_ydata(), expected["rays"]["train"][1:])
            np.testing.assert_array_equal(test_ray.get_ydata(), expected["rays"]["test"][1:])
    assert fig._suptitle.get_text().startswith("Fig. 6:")
    assert [(row["optimizer"], row["α"]) for row in table] == [(o, a) for o in ("GD", "LM") for a in ALPHAS]


def test_mode_option_picks_another_wave_number(fig6_dir, tmp_path):
    fig, _ = fig6_polynomial.figure(load_runs(fig6_dir), mode=3)
    gd_ray = fig.axes[2]
    assert gd_ray.get_ylabel() == "subspace error $e_k$, k = 3"
    expected = by_loops(fig6_dir / "fig6__optimizer.name-sgd__model.output_scale-2.0.h5", mode=3)
    np.testing.assert_array_equal(gd_ray.get_lines()[3].get_ydata(), expected["rays"]["test"][1:])
    assert not np.array_equal(expected["rays"]["test"], by_loops(fig6_dir / "fig6__optimizer.name-sgd__"
                                                                            "model.output_scale-2.0.h5")["rays"]["test"])
    assert_one_line_failure(cli("fig6", fig6_dir, "-o", tmp_path / "x.png", "--mode", "65"),
                            "mode 65 is not in /subspace/modes (0 … 64)")
    assert not (tmp_path / "x.png").exists()


def test_cli_table_is_computed_from_the_files(fig6_dir, tmp_path):
    rows = cli_rows("fig6", fig6_dir, tmp_path / "fig6.png", "--mode", "64", min_png=20_000)
    assert len(rows) == 10
    assert [row["optimizer"] for row in rows] == ["GD"] * 5 + ["LM"] * 5
    assert [float(row["α"]) for row in rows] == ALPHAS * 2
    for row in rows:
        expected = by_loops(fig6_dir / row["file"])
        assert float(row["α"]) == expected["alpha"]
        assert float(row["final train loss / initial"]) == pytest.approx(
            expected["normalised"]["train_loss"][-1], rel=1e-5)
        assert float(row["final test loss / initial"]) == pytest.approx(
            expected["normalised"]["test_loss"][-1], rel=1e-5)
        train_step, test_step = expected["crossing"]["train_loss"], expected["crossing"]["test_loss"]
        assert int(row["train < 0.1 step"]) == train_step and int(row["test < 0.1 step"]) == test_step
        assert int(row["grokking gap"]) == (test_step - train_step if train_step >= 0 and test_step >= 0 else -1)
        assert row["status"] == "completed" and row["seed"] == "0"
    # GD's gap grows with α until the test loss never falls below 0.1; LM's stays small.
    gd_gaps = [int(row["grokking gap"]) for row in rows[:5]]
    assert 0 < gd_gaps[0] < gd_gaps[1] < gd_gaps[2] and gd_gaps[-1] == -1
    assert all(0 < int(row["grokking gap"]) < gd_gaps[0] for row in rows[5:])
    assert len({row["final test loss / initial"] for row in rows}) == 10


def test_seeds_and_a_missing_column(tmp_path):
    make_polynomial_file(tmp_path / "a.h5", "lm", 2.0, steps=1000)
    make_polynomial_file(tmp_path / "b.h5", "lm", 2.0, seed=1, steps=1000, status="diverged")
    fig, table = fig6_polynomial.figure(load_runs(tmp_path))
    gd_loss, lm_loss, gd_ray, _ = fig.axes
    assert [line.get_label() for line in lm_loss.get_lines()] == ["α = 2", "_α = 2", "_α = 2 [diverged]",
                                                                  "__α = 2 [diverged]"]
    assert lm_loss.get_lines()[2].get_linewidth() < lm_loss.get_lines()[0].get_linewidth()
    for ax in (gd_loss, gd_ray):
        assert not ax.get_lines() and "no GD runs" in [t.get_text() for t in ax.texts]
    assert [(row["seed"], row["status"]) for row in table] == [(0, "completed"), (1, "diverged")]


def test_cli_folder_without_polynomial_runs(tmp_path):
    make_modular_file(tmp_path / "m.h5", "sgd", 1.0, steps=5)
    assert_one_line_failure(cli("fig6", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path),
                            "fig6 needs polynomial_teacher runs of GD (sgd) or LM", "modular_mlp")
    assert not (tmp_path / "x.png").exists()


def test_cli_empty_and_missing_folder(tmp_path):
    assert_one_line_failure(cli("fig6", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "no run files")
    assert_one_line_failure(cli("fig6", tmp_path / "nope", "-o", tmp_path / "x.png"), "nope", "no such directory")


@pytest.mark.parametrize("written, message", [
    ((), "group /subspace is missing"),
    (("modes", "step", "fft_error_train"), "dataset /subspace/fft_error_test is missing"),
    (("step", "fft_error_train", "fft_error_test"), "dataset /subspace/modes is missing"),
])
def test_missing_subspace_datasets_are_named(tmp_path, written, message):
    make_polynomial_file(tmp_path / "good.h5", "sgd", 1.0, steps=100)
    make_polynomial_file(tmp_path / "old.h5", "lm", 1.0, steps=100, subspace=written)
    with pytest.raises(RunFileError, match=f"old.h5: {message}"):
        fig6_polynomial.draw(tmp_path, tmp_path / "x.png")
    if not written:  # the CLI turns each into one line and exit 2
        assert_one_line_failure(cli("fig6", tmp_path, "-o", tmp_path / "x.png"), "old.h5", message)
    assert not (tmp_path / "x.png").exists()


def test_a_bad_output_scale_or_missing_test_loss_is_named(tmp_path):
    path = make_polynomial_file(tmp_path / "p.h5", "sgd", 1.0, steps=100)
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = f.attrs["config"].replace("output_scale = 1.0", "output_scale = -1.0")
    with pytest.raises(RunFileError, match="p.h5: config model.output_scale = -1.0, expected a positive number"):
        fig6_polynomial.draw(tmp_path, tmp_path / "x.png")
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = f.attrs["config"].replace("output_scale = -1.0", "output_scale = 1.0")
        del f["history/test_loss"]
    with pytest.raises(RunFileError, match="p.h5: dataset /history/test_loss is missing"):
        fig6_polynomial.draw(tmp_path, tmp_path / "x.png")


def test_normalisation_and_crossing_helpers():
    run_steps = np.array([0, 1, 10, 100])
    assert fig6_polynomial.first_below(run_steps, np.array([1.0, 0.5, 0.1, 0.09])) == 100  # strictly below
    assert fig6_polynomial.first_below(run_steps, np.array([1.0, 0.5, 0.2, 0.15])) == -1


def test_draws_real_pgdx_runs(pgdx_fig6_runs, tmp_path):
    out = tmp_path / "real6.png"
    table = fig6_polynomial.draw(pgdx_fig6_runs, out)
    assert out.read_bytes()[:8] == PNG_MAGIC
    files = sorted(p.name for p in pgdx_fig6_runs.glob("*.h5"))
    assert sorted(row["file"] for row in table) == files and len(files) == 4
    # The smoke sweeps α ∈ {1, 4} as model.output_scale (linked entries labelled a1, a4).
    assert [(row["optimizer"], row["α"]) for row in table] == [("GD", 1.0), ("GD", 4.0), ("LM", 1.0), ("LM", 4.0)]
    for row in table:
        expected = by_loops(pgdx_fig6_runs / row["file"])
        run = load_run(pgdx_fig6_runs / row["file"])
        assert run.task == "polynomial_teacher" and run.status == row["status"] == "completed"
        assert f"alpha-a{row['α']:g}_" in row["file"] and expected["alpha"] == row["α"]
        np.testing.assert_array_equal(run.subspace.step, expected["step"])
        assert run.subspace.modes.tolist() == list(range(17))  # task.subspace_points = 32
        assert row["final train loss / initial"] == pytest.approx(expected["normalised"]["train_loss"][-1])
        assert row["final test loss / initial"] == pytest.approx(expected["normalised"]["test_loss"][-1])
        assert row["train < 0.1 step"] == expected["crossing"]["train_loss"]
        assert row["test < 0.1 step"] == expected["crossing"]["test_loss"]
    fig, _ = fig6_polynomial.figure(load_runs(pgdx_fig6_runs))
    assert [len(ax.get_lines()) for ax in fig.axes] == [4, 4, 4, 4]
    assert fig.axes[3].get_ylabel() == "subspace error $e_k$, k = 16"
    expected = by_loops(pgdx_fig6_runs / table[3]["file"])
    np.testing.assert_array_equal(fig.axes[3].get_lines()[2].get_ydata(), expected["rays"]["train"][1:])
    np.testing.assert_array_equal(fig.axes[3].get_lines()[3].get_ydata(), expected["rays"]["test"][1:])
