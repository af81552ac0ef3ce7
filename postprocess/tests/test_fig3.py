"""postprocess.fig3_spectral and the `python -m postprocess` command line."""

import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import make_run_file, PNG_MAGIC, assert_one_line_failure, cli
from postprocess import fig3_spectral
from postprocess.runs import RunFileError, load_runs


def assert_panel_draws(ax, path):
    """The panel's ten mode curves are /spectral/fft_error's columns k = 0…9 over /spectral/step, and
    its dashed line /history/train_loss over /history/step, read from `path` as stored."""
    lines = ax.get_lines()
    assert len(lines) == 11, [line.get_label() for line in lines]
    with h5py.File(path, "r") as f:
        modes, errors = f["spectral/modes"][()], f["spectral/fft_error"][()]
        for k, line in enumerate(lines[:10]):
            np.testing.assert_array_equal(line.get_xdata(), f["spectral/step"][()], err_msg=f"{path} k={k}")
            np.testing.assert_array_equal(line.get_ydata(), errors[:, np.flatnonzero(modes == k)[0]],
                                          err_msg=f"{path} k={k}")
        np.testing.assert_array_equal(lines[10].get_xdata(), f["history/step"][()], err_msg=f"{path} loss")
        np.testing.assert_array_equal(lines[10].get_ydata(), f["history/train_loss"][()], err_msg=f"{path} loss")


def test_each_panel_plots_its_own_runs_numbers(demo_like_dir):
    files = {"SGD": "sgd.h5", "LM μ=0.5": "lm05.h5", "LM μ=0.1": "lm01.h5", "GN (ε=1e-06·λmax)": "gn.h5"}
    # The fixture's runs differ only in their attributes; scaled apart, a panel drawing another
    # run's numbers (or another mode's column) cannot match by coincidence.
    for factor, name in enumerate(files.values(), start=2):
        with h5py.File(demo_like_dir / name, "a") as f:
            f["spectral/fft_error"][...] = f["spectral/fft_error"][()] * factor
            f["history/train_loss"][...] = f["history/train_loss"][()] * factor
            f.attrs["final_train_loss"] = f["history/train_loss"][-1]
    fig, titles = fig3_spectral.figure(load_runs(demo_like_dir))
    assert titles == list(files)
    for ax, title in zip(fig.axes, titles):
        assert ax.get_title() == title
        assert_panel_draws(ax, demo_like_dir / files[title])


def test_panels_are_ordered_and_titled_like_the_paper(demo_like_dir):
    fig, titles = fig3_spectral.figure(load_runs(demo_like_dir))
    assert titles == ["SGD", "LM μ=0.5", "LM μ=0.1", "GN (ε=1e-06·λmax)"]
    panels = fig.axes[:4]  # the fifth axes is the colour bar
    assert [ax.get_title() for ax in panels] == titles
    assert len(fig.axes) == 5
    for ax in panels:
        assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
        assert ax.get_xlabel() == "iteration"
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == [f"k={k}" for k in range(10)] + ["train loss"]
        assert lines[-1].get_linestyle() == "--" and matplotlib.colors.to_hex(lines[-1].get_color()) == "#000000"
        assert ax.get_ylim() == panels[0].get_ylim()  # shared y-limits
    assert "e_k" in panels[0].get_ylabel() and "FFT error" in panels[0].get_ylabel()
    assert fig._suptitle is not None and "Fig. 3" in fig._suptitle.get_text()


def test_mode_colours_run_low_to_high_frequency(demo_like_dir):
    fig, _ = fig3_spectral.figure(load_runs(demo_like_dir))
    expected = fig3_spectral.CMAP([0.0, 0.9])
    lines = fig.axes[0].get_lines()
    assert matplotlib.colors.to_hex(lines[0].get_color()) == matplotlib.colors.to_hex(expected[0])
    assert matplotlib.colors.to_hex(lines[9].get_color()) == matplotlib.colors.to_hex(expected[1])


def test_any_subset_and_any_optimizers_sort_in_paper_order(tmp_path):
    for name, opt, mu in [("z_gn", "gn", 0.5), ("a_lm1", "lm", 1.0), ("adamw", "adamw", 0.5), ("lm2", "lm", 0.01),
                          ("sgd", "sgd", 0.5), ("adam", "adam", 0.5), ("lm3", "lm", 0.3)]:
        make_run_file(tmp_path / f"{name}.h5", opt, mu=mu)
    _, titles = fig3_spectral.figure(load_runs(tmp_path))
    assert titles == ["SGD", "Adam", "AdamW", "LM μ=1", "LM μ=0.3", "LM μ=0.01", "GN (ε=1e-06·λmax)"]


def test_single_run(tmp_path):
    make_run_file(tmp_path / "only.h5", "gn", gn_cutoff=1e-10, gn_cutoff_mode="absolute")
    fig, titles = fig3_spectral.figure(load_runs(tmp_path))
    assert titles == ["GN (ε=1e-10)"] and len(fig.axes) == 2


def test_titles_flag_unfinished_runs_schedules_and_repeated_seeds(tmp_path):
    make_run_file(tmp_path / "lm_s0.h5", "lm", mu=0.1, seed=0, status="diverged")
    make_run_file(tmp_path / "sgd_s1.h5", "sgd", seed=1)
    make_run_file(tmp_path / "sgd_s0.h5", "sgd", seed=0)
    make_run_file(tmp_path / "lm_log.h5", "lm", mu=0.01, damping="loglinear")
    _, titles = fig3_spectral.figure(load_runs(tmp_path))
    assert titles == ["SGD, seed 0", "SGD, seed 1", "LM μ=0.1 [diverged]", "LM μ=0.01 (loglinear)"]


def test_run_without_spectrum_is_a_run_file_error(tmp_path):
    make_run_file(tmp_path / "sgd.h5")
    make_run_file(tmp_path / "mnist.h5", spectral=False)
    with pytest.raises(RunFileError, match="mnist.h5: no /spectral data"):
        fig3_spectral.draw(tmp_path, tmp_path / "x.png")


def test_draw_writes_png_and_returns_titles(demo_like_dir, tmp_path):
    out = tmp_path / "fig3.png"
    assert fig3_spectral.draw(demo_like_dir, out)[0] == "SGD"
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_cli_writes_a_png(demo_like_dir, tmp_path):
    out = tmp_path / "fig3.png"
    result = cli("fig3", demo_like_dir, "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 10_000


def test_cli_missing_folder(tmp_path):
    result = cli("fig3", tmp_path / "missing", "-o", tmp_path / "x.png")
    assert_one_line_failure(result, "missing", "no such directory")
    assert not (tmp_path / "x.png").exists()


def test_cli_folder_without_runs(tmp_path):
    (tmp_path / "running.h5.partial").write_bytes(b"")
    result = cli("fig3", tmp_path, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, "no run files (*.h5)")


def test_cli_corrupt_file(demo_like_dir, tmp_path):
    (demo_like_dir / "bad.h5").write_text("garbage\nmore garbage\n")
    result = cli("fig3", demo_like_dir, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, "bad.h5")
    assert not (tmp_path / "x.png").exists()


def test_cli_unwritable_output(demo_like_dir, tmp_path):
    result = cli("fig3", demo_like_dir, "-o", tmp_path / "no" / "such" / "dir.png")
    assert_one_line_failure(result, "cannot write", "dir.png")


def test_cli_unknown_figure_is_a_usage_error(tmp_path):
    result = cli("fig99", tmp_path, "-o", tmp_path / "x.png")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_draws_real_pgdx_runs(pgdx_runs, tmp_path):
    titles = fig3_spectral.draw(pgdx_runs, tmp_path / "real.png")
    assert titles == ["SGD", "LM μ=0.1"]
    fig, _ = fig3_spectral.figure(load_runs(pgdx_runs))
    by_optimizer = {}
    for path in pgdx_runs.glob("*.h5"):
        with h5py.File(path, "r") as f:
            by_optimizer[f.attrs["optimizer"]] = path
    assert set(by_optimizer) == {"sgd", "lm"}
    for ax, optimizer in zip(fig.axes, ["sgd", "lm"]):
        assert_panel_draws(ax, by_optimizer[optimizer])
