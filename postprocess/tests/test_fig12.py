"""postprocess.fig12_continuation and `python -m postprocess fig12`."""
import h5py
import matplotlib.colors
import numpy as np
import pytest

from conftest import PNG_MAGIC, assert_one_line_failure, cli, cli_rows, make_run_file, markdown_table, train_lines
from mnist_builders import make_mnist_file
from postprocess import fig12_continuation
from postprocess.runs import RunFileError, load_run
from transformer_builders import SPIKE_AFTER, SWITCH, make_transformer_file

FLOOR = 1e-16
PEAK_COLUMN = "max validation loss ≤ 500 steps after"


@pytest.fixture
def folders(tmp_path):
    """(the phase run's folder, Fig. 8's folder): GGN for 3 000 steps then Adam, seed 0, next to a
    pure GGN run (no reference); the pure Adam run of seed 0 (the reference) and of seed 1 (not)."""
    continue_dir, adam_dir = tmp_path / "continue", tmp_path / "fig8"
    continue_dir.mkdir()
    adam_dir.mkdir()
    make_transformer_file(continue_dir / "continue.h5", "ggn+adam")
    make_transformer_file(continue_dir / "ggn.h5", "ggn")
    make_transformer_file(adam_dir / "adam.h5", "adam")
    make_transformer_file(adam_dir / "adam_seed1.h5", "adam", seed=1)
    make_mnist_file(adam_dir / "mnist.h5", "adam", steps=300)
    return continue_dir, adam_dir


def expected_peak(hist, switch=SWITCH):
    """(step, value) of the largest validation loss in (switch, switch + 500], by plain indexing."""
    window = [i for i, s in enumerate(hist["step"]) if switch < s <= switch + 500]
    i = max(window, key=lambda j: hist["test_loss"][j])
    return int(hist["step"][i]), float(hist["test_loss"][i])


def first_at(hist, threshold, after):
    return next(int(s) for s, a in zip(hist["step"], hist["test_acc"]) if s > after and a >= threshold)


def test_panels_switch_line_and_peak(folders):
    continue_dir, adam_dir = folders
    fig, table = fig12_continuation.figure(fig12_continuation.load([continue_dir, adam_dir]))
    assert len(fig.axes) == 2
    acc, loss = fig.axes
    cont, adam = load_run(continue_dir / "continue.h5").history, load_run(adam_dir / "adam.h5").history
    for ax in (acc, loss):
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "step"
        assert [line.get_label() for line in train_lines(ax)][:2] == ["Adam alone", "GGN→Adam (Continue)"]
        switch = [line for line in ax.get_lines() if "switch" in line.get_label()]
        assert len(switch) == 1 and list(switch[0].get_xdata()) == [SWITCH, SWITCH]
        assert matplotlib.colors.to_hex(switch[0].get_color()) == "#000000"
        adam_train, adam_test, cont_train, cont_test = ax.get_lines()[:4]
        assert [line.get_linestyle() for line in (adam_train, adam_test, cont_train, cont_test)] == ["-", "--"] * 2
        assert adam_train.get_linewidth() < cont_train.get_linewidth()  # the reference thin
        assert matplotlib.colors.to_hex(adam_train.get_color()) == "#ff7f0e"  # Adam's Fig. 8 colour
        quantities = ("train_acc", "test_acc") if ax is acc else ("train_loss", "test_loss")
        for hist, lines in ((adam, (adam_train, adam_test)), (cont, (cont_train, cont_test))):
            for line, quantity in zip(lines, quantities):
                np.testing.assert_array_equal(line.get_xdata(), hist["step"][1:])  # log-x: no step 0
                np.testing.assert_array_equal(line.get_ydata(), np.maximum(hist[quantity][1:], FLOOR)
                                              if ax is loss else hist[quantity][1:])
    assert acc.get_ylabel() == "accuracy" and loss.get_ylabel() == "cross-entropy loss" and loss.get_yscale() == "log"
    assert acc.get_lines()[4].get_label() == f"switch (step {SWITCH})" and len(acc.get_lines()) == 5
    peak_step, peak = expected_peak(cont)
    assert SWITCH < peak_step <= SWITCH + 500 and abs(peak_step - SWITCH - SPIKE_AFTER) < 150
    (marker,) = [line for line in loss.get_lines() if line.get_label().startswith("_peak")]
    assert list(marker.get_xdata()) == [peak_step] and list(marker.get_ydata()) == [peak]
    assert marker.get_marker() == "o" and marker.get_linestyle() == "None"
    assert [t.get_text() for t in acc.get_legend().get_texts()] == [
        "Adam alone", "GGN→Adam (Continue)", f"switch (step {SWITCH})", "train", "validation"]
    assert [t.get_text() for t in loss.get_legend().get_texts()] == [
        f"validation-loss peak (step {peak_step})", "train loss", "validation loss"]
    title = fig._suptitle.get_text()
    assert title.startswith("Fig. 12:") and f"GGN for {SWITCH} steps, then Adam (Continue) vs Adam alone" in title
    assert [row["file"] for row in table] == ["continue.h5", "adam.h5"]  # not seed 1, not pure GGN


def test_cli_two_folders_table(folders, tmp_path):
    continue_dir, adam_dir = folders
    out = tmp_path / "fig12.png"
    result = cli("fig12", continue_dir, adam_dir, "-o", out)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 20_000
    first, rows = markdown_table(result.stdout)
    assert first == str(out)
    assert [(row["run"], row["file"]) for row in rows] == [("GGN→Adam (Continue)", "continue.h5"),
                                                           ("Adam (reference)", "adam.h5")]
    cont_row, adam_row = rows
    cont, adam = load_run(continue_dir / "continue.h5").history, load_run(adam_dir / "adam.h5").history
    with h5py.File(continue_dir / "continue.h5", "r") as f:
        assert int(cont_row["switch step"]) == f["phases/end_step"][0] == SWITCH
        assert float(cont_row["final validation acc"]) == pytest.approx(f.attrs["final_test_acc"], rel=1e-5)
    (at_switch,) = cont["test_loss"][cont["step"] == SWITCH]
    assert float(cont_row["validation loss at switch"]) == pytest.approx(at_switch, rel=1e-5)
    peak_step, peak = expected_peak(cont)
    assert float(cont_row[PEAK_COLUMN]) == pytest.approx(peak, rel=1e-5) and int(cont_row["at step"]) == peak_step
    assert peak > 3 * at_switch  # the spike
    assert int(cont_row["validation acc ≥ 0.99 step"]) == first_at(cont, 0.99, -1)
    assert int(cont_row["Adam steps to it"]) == first_at(cont, 0.99, SWITCH) - SWITCH
    adam_first = first_at(adam, 0.99, -1)
    assert int(adam_row["validation acc ≥ 0.99 step"]) == int(adam_row["Adam steps to it"]) == adam_first
    assert [adam_row[c] for c in ("switch step", "validation loss at switch", PEAK_COLUMN, "at step")] == ["-"] * 4
    assert float(adam_row["final train loss"]) == pytest.approx(adam["train_loss"][-1], rel=1e-5)
    # The synthetic story: continued from GGN, Adam reaches 99 % validation accuracy far sooner than alone.
    assert int(cont_row["Adam steps to it"]) < int(adam_row["Adam steps to it"]) / 2


def test_steps_to_99_are_counted_after_the_switch(folders):
    """GGN already at 100 % validation accuracy from step 1 000: the overall step moves, Adam's does not."""
    continue_dir, adam_dir = folders
    path = continue_dir / "continue.h5"
    before = fig12_continuation.table_row(load_run(path), "x", SWITCH)
    with h5py.File(path, "r+") as f:
        step = f["history/step"][()]
        acc = f["history/test_acc"][()]
        acc[(step >= 1000) & (step < SWITCH)] = 1.0
        f["history/test_acc"][...] = acc
    after = fig12_continuation.table_row(load_run(path), "x", SWITCH)
    assert after["validation acc ≥ 0.99 step"] == int(step[step >= 1000][0]) != before["validation acc ≥ 0.99 step"]
    assert after["Adam steps to it"] == before["Adam steps to it"] > 0


def test_one_folder_holding_both_and_a_folder_named_twice(folders, tmp_path):
    continue_dir, adam_dir = folders
    (adam_dir / "adam.h5").rename(continue_dir / "adam.h5")
    rows = cli_rows("fig12", continue_dir, tmp_path / "one.png")
    assert [row["file"] for row in rows] == ["continue.h5", "adam.h5"]
    runs = fig12_continuation.load([continue_dir, continue_dir])
    assert sorted(r.path.name for r in runs) == ["adam.h5", "continue.h5", "ggn.h5"]
    # Without any Adam reference the phase run is still drawn.
    (continue_dir / "adam.h5").unlink()
    fig, table = fig12_continuation.figure(fig12_continuation.load(continue_dir))
    assert [row["file"] for row in table] == ["continue.h5"]
    labels = [line.get_label() for line in train_lines(fig.axes[0])]
    assert labels == ["GGN→Adam (Continue)", f"switch (step {SWITCH})"]


def test_several_phase_runs(folders):
    continue_dir, adam_dir = folders
    make_transformer_file(continue_dir / "continue_seed1.h5", "ggn+adam", seed=1, switch=2000)
    fig, table = fig12_continuation.figure(fig12_continuation.load([continue_dir, adam_dir]))
    acc = fig.axes[0]
    assert sorted(line.get_xdata()[0] for line in acc.get_lines() if "switch" in line.get_label()) == [2000, SWITCH]
    assert [(row["file"], row["switch step"]) for row in table] == [
        ("continue.h5", SWITCH), ("adam.h5", "-"), ("continue_seed1.h5", 2000), ("adam_seed1.h5", "-")]
    assert table[2]["run"] == "GGN→Adam (Continue), seed 1"
    assert table[2]["at step"] == expected_peak(load_run(continue_dir / "continue_seed1.h5").history, 2000)[0]


def test_cli_without_a_phase_run(folders, tmp_path):
    _, adam_dir = folders
    make_run_file(adam_dir / "regression.h5", steps=3)
    result = cli("fig12", adam_dir, "-o", tmp_path / "x.png")
    assert_one_line_failure(result, str(adam_dir), "fig12 needs a modular_addition_sequence run with optimizer "
                            "'ggn+adam'", "4 run file(s)", "mnist, modular_addition_sequence, regression1d")
    assert not (tmp_path / "x.png").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_failure(cli("fig12", folders[0], empty, "-o", tmp_path / "x.png"), str(empty), "no run files")


def test_phase_run_without_phases_is_named(tmp_path):
    with h5py.File(make_transformer_file(tmp_path / "old.h5", "ggn+adam"), "r+") as f:
        del f["phases"]
    with pytest.raises(RunFileError, match=r"old.h5: .*/phases/end_step is \[\]"):
        fig12_continuation.draw(tmp_path, tmp_path / "x.png")
    assert_one_line_failure(cli("fig12", tmp_path, "-o", tmp_path / "x.png"), "old.h5", "/phases/end_step")
