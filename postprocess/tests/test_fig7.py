"""postprocess.fig7_switch and `python -m postprocess fig7`."""
import shutil

import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import PNG_MAGIC, assert_one_line_failure, cli, make_run_file, markdown_table
from mnist_builders import make_mnist_file
from postprocess import fig7_switch
from postprocess.runs import RunFileError, load_run, load_runs

SWITCH = 200
GROKKING = ("train_acc_99_step", "test_acc_threshold_step", "grokking_delay")


@pytest.fixture
def fig7_dir(tmp_path):
    """The switching run (LM for 200 steps, then AdamW), its references (pure AdamW and LM at the
    same α and seed) and runs that are no references: another seed, another α, SGD, another task."""
    d = tmp_path / "fig7"
    d.mkdir()
    make_mnist_file(d / "switch.h5", "lm+adamw", 8.0, switch=SWITCH)
    make_mnist_file(d / "adamw.h5", "adamw", 8.0)
    make_mnist_file(d / "lm.h5", "lm", 8.0)
    make_mnist_file(d / "adamw_seed1.h5", "adamw", 8.0, seed=1)
    make_mnist_file(d / "lm_alpha4.h5", "lm", 4.0)
    make_mnist_file(d / "sgd.h5", "sgd", 8.0)
    make_run_file(d / "regression.h5", steps=3)
    return d


def vertical_lines(ax):
    return [line for line in ax.get_lines() if line.get_label().endswith("switch") or "switch (" in line.get_label()]


def test_panels_references_and_switch_line(fig7_dir):
    fig, table = fig7_switch.figure([r for r in load_runs(fig7_dir) if r.task == "mnist"])
    assert len(fig.axes) == 2
    acc, loss = fig.axes
    for ax in (acc, loss):
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "step" and ax.get_title()
        # AdamW and LM references and the switching run, train and test each, plus the switch line.
        assert len(ax.get_lines()) == 7
        (switch,) = vertical_lines(ax)
        assert switch.get_xdata() == [SWITCH, SWITCH] and matplotlib.colors.to_hex(switch.get_color()) == "#000000"
    assert loss.get_yscale() == "log" and loss.get_ylabel() == "MSE loss" and acc.get_ylabel() == "accuracy"
    labels = [line.get_label() for line in acc.get_lines()]
    assert labels == ["AdamW alone", "_AdamW alone", "LM alone", "_LM alone", "LM→AdamW", "_LM→AdamW",
                      f"switch (step {SWITCH})"]
    assert [t.get_text() for t in acc.get_legend().get_texts()] == labels[::2] + ["train", "test"]
    adamw, _, lm, _, run, _ = acc.get_lines()[:6]
    assert adamw.get_linewidth() < run.get_linewidth()  # AdamW alone thin
    assert lm.get_alpha() < 1 and matplotlib.colors.to_rgb(lm.get_color()) == pytest.approx((0.45,) * 3)  # grey
    switching = load_run(fig7_dir / "switch.h5")
    np.testing.assert_array_equal(run.get_xdata(), switching.history["step"][1:])
    np.testing.assert_array_equal(run.get_ydata(), switching.history["train_acc"][1:])
    np.testing.assert_array_equal(acc.get_lines()[5].get_ydata(), switching.history["test_acc"][1:])
    np.testing.assert_array_equal(loss.get_lines()[5].get_ydata(), switching.history["test_loss"][1:])
    np.testing.assert_array_equal(lm.get_ydata(), load_run(fig7_dir / "lm.h5").history["train_acc"][1:])
    assert "LM for 200 steps, then AdamW" in fig._suptitle.get_text()
    assert [row["file"] for row in table] == ["switch.h5", "adamw.h5", "lm.h5"]


def test_cli_table_is_the_files_attributes(fig7_dir, tmp_path):
    out = tmp_path / "fig7.png"
    result = cli("fig7", fig7_dir, "-o", out)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 20_000
    first, rows = markdown_table(result.stdout)
    assert first == str(out)
    assert [(row["run"], row["switch step"]) for row in rows] == [
        ("LM→AdamW", str(SWITCH)), ("AdamW (reference)", "-"), ("LM (reference)", "-")]
    for row in rows:
        with h5py.File(fig7_dir / row["file"], "r") as f:
            assert float(row["final train acc"]) == pytest.approx(f.attrs["final_train_acc"], rel=1e-5)
            assert float(row["final test acc"]) == pytest.approx(f.attrs["final_test_acc"], rel=1e-5)
            for key in GROKKING:
                assert int(row[key]) == f.attrs[key]
            if "phases" in f:
                assert int(row["switch step"]) == f["phases/end_step"][0]
    # The switch lifts the test accuracy above LM alone's plateau.
    assert float(rows[0]["final test acc"]) > float(rows[2]["final test acc"])


def test_several_switching_runs(fig7_dir):
    make_mnist_file(fig7_dir / "switch_seed1.h5", "lm+adamw", 8.0, seed=1, switch=300)
    fig, table = fig7_switch.figure(load_runs(fig7_dir))
    acc = fig.axes[0]
    assert sorted(line.get_xdata()[0] for line in vertical_lines(acc)) == [SWITCH, 300]
    # Seed 1 has an AdamW reference but no LM one.
    assert [row["file"] for row in table] == ["switch.h5", "adamw.h5", "lm.h5", "switch_seed1.h5", "adamw_seed1.h5"]
    assert table[0]["run"] == "LM→AdamW, α = 8, seed 0" and table[3]["switch step"] == 300


def test_cli_without_switching_run(fig7_dir, tmp_path):
    (fig7_dir / "switch.h5").unlink()
    assert_one_line_failure(cli("fig7", fig7_dir, "-o", tmp_path / "x.png"), str(fig7_dir),
                            "fig7 needs an optimizer-switching mnist run")
    assert not (tmp_path / "x.png").exists()


def test_cli_empty_and_wrong_task_folders(tmp_path):
    assert_one_line_failure(cli("fig7", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "no run files")
    make_run_file(tmp_path / "r.h5", steps=3)
    assert_one_line_failure(cli("fig7", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "regression1d")


def test_switching_run_without_phases_is_named(tmp_path):
    make_mnist_file(tmp_path / "old.h5", "lm+adamw", switch=SWITCH, phases=False)
    with pytest.raises(RunFileError, match=r"old.h5: .*/phases/end_step is \[\]"):
        fig7_switch.draw(tmp_path, tmp_path / "x.png")


def test_draws_real_pgdx_runs(pgdx_fig7_mnist_run, pgdx_fig1_mnist_runs, tmp_path):
    """The real switching run with the α = 8 AdamW and LM runs of the Fig. 1 smoke sweep (same seed)."""
    d = tmp_path / "real7"
    d.mkdir()
    (switch_file,) = pgdx_fig7_mnist_run.glob("*.h5")
    shutil.copy(switch_file, d)
    for path in pgdx_fig1_mnist_runs.glob("*init_scale-8.0*.h5"):
        shutil.copy(path, d)
    out = tmp_path / "real7.png"
    table = fig7_switch.draw(d, out)
    assert out.read_bytes()[:8] == PNG_MAGIC
    switching = load_run(switch_file)
    with h5py.File(switch_file, "r") as f:
        end_step = f["phases/end_step"][()]
        phase = f["history/phase"][()]
    assert switching.optimizer == "lm+adamw" and end_step.tolist() == [4, 15]
    steps = switching.history["step"]
    assert phase.tolist() == (steps > end_step[0]).astype(int).tolist()
    assert [row["run"] for row in table] == ["LM→AdamW", "AdamW (reference)", "LM (reference)"]
    assert table[0]["switch step"] == 4 and table[0]["file"] == switch_file.name
    for row in table:
        run = load_run(d / row["file"])
        assert row["final test acc"] == run.attrs["final_test_acc"] == pytest.approx(run.history["test_acc"][-1])
        assert [row[k] for k in GROKKING] == [run.attrs[k] for k in GROKKING]
    fig, _ = fig7_switch.figure(load_runs(d))
    (line,) = vertical_lines(fig.axes[0])
    assert line.get_xdata() == [4, 4] and len(fig.axes[0].get_lines()) == 7
