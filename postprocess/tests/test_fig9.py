"""postprocess.fig9_spectral2d, the 2-D spectrum in the loader, and `python -m postprocess fig9`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import (PNG_MAGIC, assert_one_line_failure, cli, make_pinn_file, make_regression2d_file,
                      make_run_file, markdown_table, residual_2d, shells_by_loops)
from postprocess import fig9_spectral2d, measures, panels
from postprocess.runs import RunFileError, load_run, load_runs

TITLES = ["SGD", "Adam", "LM μ=0.5", "LM μ=0.1", "GN (ε=1e-06·λmax)"]


def tanh_mlp(config, theta, x):
    """f(x; θ) of a tanh MLP with biases (docs/hdf5-layout.md's parameter order), or None when the
    config asks for a model this short re-implementation does not cover."""
    model = config.get("model", {})
    if model.get("activation") != "tanh" or set(model) - {"activation", "layers", "init", "bias_init"}:
        return None
    layers, h, i = model["layers"], x, 0
    for depth, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
        weights, i = theta[i:i + n_in * n_out].reshape(n_out, n_in), i + n_in * n_out
        h, i = h @ weights.T + theta[i:i + n_out], i + n_out
        h = np.tanh(h) if depth < len(layers) - 2 else h
    return h[:, 0] if i == theta.size else None


@pytest.fixture
def fig9_dir(tmp_path):
    """The paper's SGD and GN plus Adam and two LM runs, written in scrambled order."""
    d = tmp_path / "fig9"
    d.mkdir()
    for name, opt, mu in [("gn", "gn", 0.5), ("lm01", "lm", 0.1), ("adam", "adam", 0.5), ("sgd", "sgd", 0.5),
                          ("lm05", "lm", 0.5)]:
        make_regression2d_file(d / f"{name}.h5", opt, mu=mu, steps=12)
    make_regression2d_file(d / "crashed.h5.partial", "sgd", status="running")
    return d


def test_loader_returns_the_files_spectra(tmp_path):
    nx, ny, steps = 8, 6, 12  # not square, so a transposed read would show
    run = load_run(make_regression2d_file(tmp_path / "r.h5", "sgd", nx=nx, ny=ny, steps=steps, full_every=5))
    full = np.abs(np.fft.fft2(residual_2d("sgd", 0.5, steps, nx, ny, 0), axes=(1, 2))) / (nx * ny)
    spec = run.spectrum_2d
    assert spec.grid_shape == (nx, ny) and run.task == "regression2d"
    np.testing.assert_array_equal(spec.step, np.arange(steps + 1))
    np.testing.assert_array_equal(spec.shells, np.arange(fig9_spectral2d.shell_count((nx, ny))))
    np.testing.assert_allclose(spec.shell_error, shells_by_loops(full, nx, ny), rtol=1e-12)
    whole = run.full_spectrum_2d
    np.testing.assert_array_equal(whole.step, [0, 5, 10, 12])
    np.testing.assert_allclose(whole.error, full[[0, 5, 10, 12]], rtol=1e-12)
    # The plotted shells are the layout's reduction of the stored full spectrum.
    np.testing.assert_allclose(fig9_spectral2d.shell_means(whole.error, spec.grid_shape), spec.shell_error[whole.step],
                               rtol=1e-12)


def test_shell_rule_for_the_default_grid():
    assert fig9_spectral2d.shell_count((40, 40)) == 29
    full = np.random.default_rng(1).uniform(size=(3, 40, 40))
    np.testing.assert_allclose(fig9_spectral2d.shell_means(full, (40, 40)), shells_by_loops(full, 40, 40),
                               rtol=1e-12)


def test_other_tasks_have_no_2d_spectrum(tmp_path):
    assert load_run(make_run_file(tmp_path / "a.h5")).spectrum_2d is None
    run = load_run(make_pinn_file(tmp_path / "p.h5"))
    assert run.spectrum_2d is None and run.full_spectrum_2d is None


def _drop(name):
    def damage(f):
        del f[name]
    return damage


def _mismatch_shells(f):
    del f["spectral/shells"]
    f["spectral/shells"] = np.arange(5, dtype=np.int64)


def _bad_full(f):
    del f["spectral_full/fft_error_2d"]
    f["spectral_full/fft_error_2d"] = np.zeros((2, 7))


@pytest.mark.parametrize("damage, expected", [
    (_drop("spectral/grid_shape"), "dataset /spectral/grid_shape is missing"),
    (_drop("spectral/shells"), "dataset /spectral/shells is missing"),
    (_mismatch_shells, "/spectral/fft_error_2d has shape (13, 29) but /spectral/shells has 5 entries"),
    (_bad_full, "/spectral_full/fft_error_2d has shape (2, 7), expected (S, 1600)"),
], ids=["no-grid-shape", "no-shells", "shells-mismatch", "full-shape"])
def test_a_damaged_2d_spectrum_is_one_line_naming_the_file(tmp_path, damage, expected):
    path = make_regression2d_file(tmp_path / "damaged.h5", steps=12)
    with h5py.File(path, "r+") as f:
        damage(f)
    run = load_run(path)  # the 2-D spectrum is read on first use, so loading for a table still works
    with pytest.raises(RunFileError) as info:
        run.full_spectrum_2d
    assert str(path) in str(info.value) and expected in str(info.value) and "\n" not in str(info.value)


def test_panels_are_ordered_and_titled_like_the_paper(fig9_dir):
    fig, table = fig9_spectral2d.figure(load_runs(fig9_dir))
    panels = fig.axes[:5]  # the sixth axes is the colour bar
    assert [row["run"] for row in table] == TITLES == [ax.get_title() for ax in panels]
    assert len(fig.axes) == 6 and "radial shell m" in fig.axes[5].get_ylabel()
    expected = fig9_spectral2d.frequency_colours(10)
    for ax in panels:
        assert ax.get_yscale() == "log" and ax.get_xlabel() == "iteration"
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == [f"m={m}" for m in range(10)] + ["train loss"]
        assert [matplotlib.colors.to_hex(line.get_color()) for line in lines[:10]] == [
            matplotlib.colors.to_hex(c) for c in expected]
        assert lines[-1].get_linestyle() == "--" and matplotlib.colors.to_hex(lines[-1].get_color()) == "#000000"
        assert ax.get_ylim() == panels[0].get_ylim()  # shared y-limits
    assert "e_m" in panels[0].get_ylabel()
    suptitle = fig._suptitle.get_text()
    assert suptitle.startswith("Fig. 9:") and "regression2d 40×40" in suptitle and "seed 0" in suptitle


def test_titles_flag_unfinished_runs(tmp_path):
    make_regression2d_file(tmp_path / "gn.h5", "gn", status="diverged", steps=5)
    _, table = fig9_spectral2d.figure(load_runs(tmp_path))
    assert [row["run"] for row in table] == ["GN (ε=1e-06·λmax) [diverged]"]
    assert table[0]["status"] == "diverged"


def test_shells_option(fig9_dir, tmp_path):
    fig, table = fig9_spectral2d.figure(load_runs(fig9_dir), shells=4)
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["m=0", "m=1", "m=2", "m=3", "train loss"]
    assert [k for k in table[0] if k.startswith("e_")] == ["e_0", "e_1", "e_2", "e_3"]
    fig, _ = fig9_spectral2d.figure(load_runs(fig9_dir), shells=100)  # only 29 shells exist on 40 × 40
    assert len(fig.axes[0].get_lines()) == 29 + 1
    result = cli("fig9", fig9_dir, "-o", tmp_path / "x.png", "--shells", "0")
    assert result.returncode == 2 and "not a positive integer" in result.stderr


def test_cli_writes_png_and_prints_the_files_final_values(fig9_dir, tmp_path):
    out = tmp_path / "fig9.png"
    result = cli("fig9", fig9_dir, "-o", out, "--shells", "10")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 10_000
    first, rows = markdown_table(result.stdout)
    assert first == str(out)
    assert [row["run"] for row in rows] == TITLES
    for row in rows:
        with h5py.File(fig9_dir / row["file"], "r") as f:
            last = f["spectral/fft_error_2d"][-1]
            assert int(row["step"]) == f["spectral/step"][-1] == 12
            assert float(row["train loss"]) == pytest.approx(f["history/train_loss"][-1], rel=1e-5)
        assert [float(row[f"e_{m}"]) for m in range(10)] == pytest.approx(last[:10], rel=1e-5)
        assert row["status"] == "completed"
    # Distinct runs give distinct numbers, so a row cannot have been paired with the wrong file.
    assert len({row["e_9"] for row in rows}) == len({row["train loss"] for row in rows}) == 5


def test_cli_run_of_another_task(fig9_dir, tmp_path):
    make_run_file(fig9_dir / "one_d.h5")
    result = cli("fig9", fig9_dir, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, "one_d.h5", "no /spectral/fft_error_2d",
                            "fig9 needs runs of the regression2d task")
    assert not (tmp_path / "x.png").exists()


def test_cli_missing_dataset(fig9_dir, tmp_path):
    with h5py.File(fig9_dir / "gn.h5", "r+") as f:
        del f["spectral/grid_shape"]
    result = cli("fig9", fig9_dir, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, "gn.h5", "dataset /spectral/grid_shape is missing")


def test_cli_missing_folder(tmp_path):
    assert_one_line_failure(cli("fig9", tmp_path / "missing", "-o", tmp_path / "x.png"), "missing",
                            "no such directory")


def test_cli_truncated_file(fig9_dir, tmp_path):
    data = (fig9_dir / "sgd.h5").read_bytes()
    (fig9_dir / "sgd.h5").write_bytes(data[: len(data) // 2])
    assert_one_line_failure(cli("fig9", fig9_dir, "-o", tmp_path / "x.png"), "sgd.h5")


def test_draws_real_pgdx_runs(pgdx_fig9_runs, tmp_path):
    out = tmp_path / "real9.png"
    table = fig9_spectral2d.draw(pgdx_fig9_runs, out)
    files = sorted(p.name for p in pgdx_fig9_runs.glob("*.h5"))
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert sorted(row["file"] for row in table) == files and len(files) >= 2
    for run in load_runs(pgdx_fig9_runs):
        spec, whole = run.spectrum_2d, run.full_spectrum_2d
        assert run.task == "regression2d" and run.status in ("completed", "diverged")
        assert spec.shells.size == fig9_spectral2d.shell_count(spec.grid_shape)
        np.testing.assert_array_equal(spec.step, run.history["step"])
        assert whole is not None and whole.step.size >= 1
        # pgdx's shells are the layout's reduction of its own full spectrum.
        rows = np.searchsorted(spec.step, whole.step)
        np.testing.assert_allclose(fig9_spectral2d.shell_means(whole.error, spec.grid_shape),
                                   spec.shell_error[rows], rtol=1e-9, atol=1e-15)
        # The last full spectrum is numpy's fft2 of the final residual reshaped row-major (shells alone
        # cannot tell a transposed grid on a square one).
        with h5py.File(run.path, "r") as f:
            x, y, theta = f["data/train_x"][()], f["data/train_y"][()][:, 0], f["final/params"][()]
        model = tanh_mlp(run.config, theta, x)
        if model is not None and whole.step[-1] == run.history["step"][-1]:
            residual = (y - model).reshape(spec.grid_shape)
            expected = np.abs(np.fft.fft2(residual)) / residual.size
            if np.all(np.isfinite(expected)):  # a diverged run may end in NaN
                np.testing.assert_allclose(whole.error[-1], expected, rtol=1e-9, atol=1e-12 * expected.max())


# ---- smoothed curves: a running geometric mean over the raw minibatch curve, drawn faint ------------

def noisy_gn_file(path, steps=400, rate=0.01, noise=0.8, seed=3):
    """A GN run whose shells and loss fall as exp(−rate·t) times log-normal minibatch noise; returns
    (path, the noise-free shells)."""
    make_regression2d_file(path, "gn", steps=steps, nx=16, ny=16, full_every=100)  # 12 shells
    t = np.arange(steps + 1)[:, None]
    with h5py.File(path, "r+") as f:
        shells = f["spectral/fft_error_2d"].shape[1]
        trend = np.linspace(0.3, 0.01, shells)[None, :] * np.exp(-rate * t)
        jitter = np.exp(noise * np.random.default_rng(seed).standard_normal(trend.shape))
        f["spectral/fft_error_2d"][...] = trend * jitter
        f["history/train_loss"][...] = trend[:, 0] ** 2 * jitter[:, 0]
    return path, trend


def test_running_geometric_mean():
    steps = np.arange(0, 101, 2)  # a record every other step
    curve = 5.0 * 0.97 ** steps
    smooth = measures.running_geometric_mean(steps, curve, 20)
    np.testing.assert_allclose(smooth[:-5], curve[:-5], rtol=1e-12)  # centred: exact on an exponential
    assert smooth[0] == pytest.approx(curve[0], rel=1e-15) and smooth[-1] > curve[-1]  # first kept; end one-sided
    holes = np.where(steps == 40, 0.0, np.where(steps == 60, np.nan, curve))
    smooth = measures.running_geometric_mean(steps, holes, 4)  # windows 38–42 and 58–62: neighbours only
    assert smooth[steps == 40][0] == pytest.approx(curve[steps == 40][0], rel=1e-12)
    assert smooth[steps == 60][0] == pytest.approx(curve[steps == 60][0], rel=1e-12)
    assert np.isnan(measures.running_geometric_mean([0, 10], [0.0, 0.0], 4)).all()
    assert measures.running_geometric_mean([], [], 4).size == 0


def test_noisy_curves_are_drawn_smoothed_over_the_faint_raw_curve(tmp_path):
    path, trend = noisy_gn_file(tmp_path / "gn.h5")
    run = load_run(path)
    fig, _ = fig9_spectral2d.figure([run], smooth=40)
    lines = fig.axes[0].get_lines()
    raw = [line for line in lines if line.get_label().startswith("_raw")]
    drawn = [line for line in lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in drawn] == [f"m={m}" for m in range(10)] + ["train loss"]
    assert [line.get_label() for line in raw] == [f"_raw m={m}" for m in range(10)] + ["_raw train loss"]
    for faint, line, m in zip(raw, drawn, range(10)):
        assert np.array_equal(faint.get_color(), line.get_color()) and faint.get_alpha() == panels.RAW_ALPHA
        assert faint.get_linewidth() < line.get_linewidth() and line.get_alpha() in (None, 1.0)
        np.testing.assert_array_equal(faint.get_ydata(), run.spectrum_2d.shell_error[:, m])
        np.testing.assert_allclose(line.get_ydata(), measures.running_geometric_mean(
            run.spectrum_2d.step, run.spectrum_2d.shell_error[:, m], 40), rtol=1e-12)
        # The smoothed curve follows the trend several times closer than the raw one does.
        inner = slice(20, -20)
        assert (np.std(np.log(line.get_ydata()[inner] / trend[inner, m]))
                < np.std(np.log(faint.get_ydata()[inner] / trend[inner, m])) / 3)
    assert drawn[-1].get_linestyle() == "--" and matplotlib.colors.to_hex(drawn[-1].get_color()) == "#000000"
    assert fig._suptitle.get_text().endswith("\nrunning geometric mean over 40 steps, raw curves faint")


def test_default_window_is_one_percent_of_the_run_and_zero_draws_raw_curves(tmp_path):
    path, _ = noisy_gn_file(tmp_path / "gn.h5", steps=800)
    assert fig9_spectral2d.smoothing_window(np.arange(5001)) == 50
    assert fig9_spectral2d.smoothing_window(np.arange(13)) == 0  # nothing to average: raw curves
    fig, _ = fig9_spectral2d.figure(load_runs(tmp_path))
    assert len(fig.axes[0].get_lines()) == 2 * 11 and "over 8 steps" in fig._suptitle.get_text()
    fig, _ = fig9_spectral2d.figure(load_runs(tmp_path), smooth=0)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 11 and not any(line.get_label().startswith("_") for line in lines)
    assert "running" not in fig._suptitle.get_text()
    assert cli("fig9", tmp_path, "-o", tmp_path / "x.png", "--smooth", "25").returncode == 0
    result = cli("fig9", tmp_path, "-o", tmp_path / "x.png", "--smooth", "-1")
    assert result.returncode == 2 and "not a number >= 0" in result.stderr
