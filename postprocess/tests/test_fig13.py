"""postprocess.fig13_seeds and `python -m postprocess fig13`."""
import shutil

import h5py
import numpy as np
import pytest

from conftest import (PNG_MAGIC, assert_one_line_failure, cli, make_run_file, markdown_table, pgdx_sweep_points,
                      pgdx_train)
from mnist_builders import make_mnist_file
from postprocess import fig13_seeds
from postprocess.runs import RunFileError, load_runs

SEEDS = (0, 1, 2)
SETTINGS = ["sgd", "adam", "adamw", "lm", "lm+adamw"]
NAMES = ["SGD", "Adam", "AdamW", "LM", "LM→AdamW"]


def file_name(optimizer, seed):
    return f"{optimizer.replace('+', '_then_')}_seed{seed}.h5"


@pytest.fixture
def fig13_dir(tmp_path):
    """Every setting at α = 8 for three seeds, plus runs fig13 must skip: α = 1, another task."""
    d = tmp_path / "fig13"
    d.mkdir()
    for seed in SEEDS:
        for opt in SETTINGS:
            make_mnist_file(d / file_name(opt, seed), opt, 8.0, seed=seed, switch=200 if "+" in opt else None)
    make_mnist_file(d / "adamw_alpha1.h5", "adamw", 1.0)
    make_run_file(d / "regression.h5", steps=3)
    return d


def by_files(d, optimizer, quantity):
    """(steps > 0, values (seeds × steps)) read straight from the files with h5py."""
    rows = []
    for seed in SEEDS:
        with h5py.File(d / file_name(optimizer, seed), "r") as f:
            step = f["history/step"][()]
            rows.append(f[f"history/{quantity}"][()][step > 0])
    return step[step > 0], np.array(rows)


def artists(fig, gid):
    """(median line, band) tagged `optimizer:quantity`, wherever they were drawn."""
    found = [a for ax in fig.axes for a in ax.get_lines() + ax.collections if a.get_gid() == gid]
    return found


def test_bands_are_min_and_max_over_seeds(fig13_dir):
    runs = [r for r in load_runs(fig13_dir) if r.task == "mnist" and r.alpha == 8.0]
    fig, table = fig13_seeds.figure(runs)
    assert len(fig.axes) == 4
    top_acc, norm, switch_acc, loss = fig.axes
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "step" and ax.get_legend() is not None
    assert loss.get_yscale() == "log" and "weight norm" in norm.get_ylabel()
    # Top row: the four single-optimizer settings, train and test median lines and bands.
    assert len(top_acc.get_lines()) == 8 and len(top_acc.collections) == 8
    assert len(norm.get_lines()) == 4 and len(norm.collections) == 4
    # Bottom row: AdamW and LM references and the switching setting, plus the switch line.
    assert len(switch_acc.get_lines()) == 7 and len(switch_acc.collections) == 6
    assert [line.get_xdata() for line in switch_acc.get_lines() if line.get_gid() is None] == [[200, 200]]
    legend = [t.get_text() for t in top_acc.get_legend().get_texts()]
    assert legend == [f"{n} (3 seeds)" for n in NAMES[:4]] + ["train", "test"]
    assert [t.get_text() for t in switch_acc.get_legend().get_texts()][:3] == [
        "AdamW alone (3 seeds)", "LM alone (3 seeds)", "LM→AdamW (3 seeds)"]
    checked = 0
    for opt in SETTINGS:
        for quantity in fig13_seeds.QUANTITIES:
            drawn = artists(fig, f"{opt}:{quantity}")
            if not drawn:
                assert quantity == "weight_norm" and opt == "lm+adamw" or quantity.endswith("loss")
                continue
            steps, values = by_files(fig13_dir, opt, quantity)
            lo, hi = values.min(axis=0), values.max(axis=0)
            for artist in drawn:
                if hasattr(artist, "get_xdata"):  # the median line
                    np.testing.assert_array_equal(artist.get_xdata(), steps)
                    np.testing.assert_allclose(artist.get_ydata(), np.median(values, axis=0), rtol=1e-12)
                    continue
                vertices = artist.get_paths()[0].vertices
                for x, low, high in zip(steps, lo, hi):
                    ys = vertices[vertices[:, 0] == x, 1]
                    assert ys.min() == pytest.approx(low, rel=1e-12) and ys.max() == pytest.approx(high, rel=1e-12)
                checked += 1
    assert checked == 4 * 3 + 3 * 4  # top row: 4 × (train, test, norm); bottom: 3 × (2 acc + 2 loss)
    assert [row["setting"] for row in table] == NAMES


def test_cli_table_is_median_min_max_of_the_files(fig13_dir, tmp_path):
    out = tmp_path / "fig13.png"
    result = cli("fig13", fig13_dir, "-o", out)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 20_000
    first, rows = markdown_table(result.stdout)
    assert first == str(out) and [row["setting"] for row in rows] == NAMES
    for opt, row in zip(SETTINGS, rows):
        attrs = []
        for seed in SEEDS:
            with h5py.File(fig13_dir / file_name(opt, seed), "r") as f:
                attrs.append(dict(f.attrs))
        final = np.array([a["final_test_acc"] for a in attrs])
        assert row["seeds"] == "3" and row["seed list"] == "0 1 2"
        for stat, value in (("median", np.median(final)), ("min", final.min()), ("max", final.max())):
            assert float(row[f"final test acc {stat}"]) == pytest.approx(value, rel=1e-5)
        delays = [a["grokking_delay"] for a in attrs if a["train_acc_99_step"] >= 0 and a["test_acc_threshold_step"] >= 0]
        assert row["grokked"] == f"{len(delays)}/3"
        if delays:
            assert float(row["grokking delay median"]) == np.median(delays)
            assert (int(row["grokking delay min"]), int(row["grokking delay max"])) == (min(delays), max(delays))
        else:
            assert row["grokking delay median"] == "-"
    assert rows[0]["grokked"] == "0/3" and rows[2]["grokked"] == "3/3"  # SGD never; AdamW always


def test_without_switching_runs_only_the_top_row(fig13_dir):
    for seed in SEEDS:
        (fig13_dir / file_name("lm+adamw", seed)).unlink()
    fig, table = fig13_seeds.figure([r for r in load_runs(fig13_dir) if r.alpha == 8.0 and r.task == "mnist"])
    assert len(fig.axes) == 2 and len(table) == 4


def test_alpha_option(fig13_dir, tmp_path):
    result = cli("fig13", fig13_dir, "-o", tmp_path / "a1.png", "--alpha", "1")
    assert result.returncode == 0, result.stderr
    _, rows = markdown_table(result.stdout)
    assert [(row["setting"], row["seeds"]) for row in rows] == [("AdamW", "1")]
    assert_one_line_failure(cli("fig13", fig13_dir, "-o", tmp_path / "x.png", "--alpha", "3"), str(fig13_dir),
                            "fig13 needs mnist runs at α = 3")


def test_two_runs_of_one_setting_and_seed_are_named(fig13_dir):
    make_mnist_file(fig13_dir / "adamw_again.h5", "adamw", 8.0, seed=1)
    with pytest.raises(RunFileError, match="same seed 1"):
        fig13_seeds.draw(fig13_dir, fig13_dir / "x.png")


def test_cli_empty_and_wrong_task_folders(tmp_path):
    assert_one_line_failure(cli("fig13", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "no run files")
    make_run_file(tmp_path / "r.h5", steps=3)
    assert_one_line_failure(cli("fig13", tmp_path, "-o", tmp_path / "x.png"), str(tmp_path), "regression1d")
    assert not (tmp_path / "x.png").exists()


@pytest.fixture(scope="module")
def pgdx_fig13_runs(pgdx_fig1_mnist_runs, pgdx_fig7_mnist_run, tmp_path_factory):
    """Real runs at α = 8: the Fig. 1 and Fig. 7 smoke runs (seed 0), and seed 1 of AdamW, LM and
    the switch (the other settings keep one seed, to keep the suite fast). The sweep's file names
    do not hold the seed, so seed 1's get a suffix."""
    d = tmp_path_factory.mktemp("real13")
    seed1 = pgdx_sweep_points(tmp_path_factory, "smoke_fig1_mnist.toml", ("adamw", "lm"), "model.init_scale=8.0",
                              "run.seed=1")
    for path in pgdx_fig1_mnist_runs.glob("*init_scale-8.0*.h5"):
        shutil.copy(path, d)
    for path in seed1.glob("*.h5"):
        shutil.copy(path, d / path.name.replace(".h5", "__seed1.h5"))
    for folder in (pgdx_fig7_mnist_run, pgdx_train(tmp_path_factory, "smoke_fig7_mnist_switch.toml", "run.seed=1")):
        for path in folder.glob("*.h5"):
            shutil.copy(path, d)
    shutil.copy(next(pgdx_fig1_mnist_runs.glob("*init_scale-1.0*.h5")), d)  # another α: skipped
    return d


def test_draws_real_pgdx_runs(pgdx_fig13_runs, tmp_path):
    out = tmp_path / "real13.png"
    result = cli("fig13", pgdx_fig13_runs, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC
    _, rows = markdown_table(result.stdout)
    assert [(row["setting"], row["seeds"], row["seed list"]) for row in rows] == [
        ("SGD", "1", "0"), ("Adam", "1", "0"), ("AdamW", "2", "0 1"), ("LM", "2", "0 1"), ("LM→AdamW", "2", "0 1")]
    runs = [r for r in load_runs(pgdx_fig13_runs) if r.alpha == 8.0]
    fig, _ = fig13_seeds.figure(runs)
    assert len(fig.axes) == 4
    for opt, row in zip(SETTINGS, rows):
        members = [r for r in runs if r.optimizer == opt]
        final = [r.attrs["final_test_acc"] for r in members]
        assert float(row["final test acc min"]) == pytest.approx(min(final), rel=1e-5)
        assert float(row["final test acc max"]) == pytest.approx(max(final), rel=1e-5)
        assert float(row["final test acc median"]) == pytest.approx(np.median(final), rel=1e-5)
        grokked = [r for r in members if min(r.attrs["train_acc_99_step"], r.attrs["test_acc_threshold_step"]) >= 0]
        assert row["grokked"] == f"{len(grokked)}/{len(members)}"
        # The band is the min and max over seeds at every recorded step (all seeds record the same steps).
        values = np.array([r.history["test_acc"][1:] for r in members])
        band = next(a for ax in fig.axes for a in ax.collections if a.get_gid() == f"{opt}:test_acc")
        vertices = band.get_paths()[0].vertices
        for x, low, high in zip(members[0].history["step"][1:], values.min(axis=0), values.max(axis=0)):
            ys = vertices[vertices[:, 0] == x, 1]
            assert ys.min() == pytest.approx(low) and ys.max() == pytest.approx(high)
