"""postprocess.collect (sweep table, seed bands) and postprocess.seed_bands, synthetic and real."""
import csv
import math
import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

from conftest import make_run_file, PNG_MAGIC, assert_one_line_failure, cli
from postprocess import collect, seed_bands
from postprocess.runs import RunFileError, load_runs

REPO = pathlib.Path(__file__).resolve().parents[2]
OPTIMIZERS = ("sgd", "lm")
SEEDS = (0, 1, 2)


def scale(optimizer, seed):
    """Per-run factor on the synthetic train loss, so seeds (and optimizers) differ."""
    return (1.0 if optimizer == "sgd" else 0.1) * (1.0 + 0.5 * seed)


@pytest.fixture
def sweep_dir(tmp_path):
    """3 seeds x 2 optimizers, named like `pgdx sweep` names them; LM seed 2 recorded 5 steps fewer."""
    import h5py

    d = tmp_path / "sweep"
    d.mkdir()
    for opt in OPTIMIZERS:
        for seed in SEEDS:
            path = d / f"toy__optimizer.name-{opt}__run.seed-{seed}.h5"
            make_run_file(path, opt, mu=0.1, seed=seed, steps=15 if (opt, seed) == ("lm", 2) else 20)
            with h5py.File(path, "a") as f:
                loss = f["history/train_loss"][()] * scale(opt, seed)
                f["history/train_loss"][...] = loss
                f.attrs["final_train_loss"] = loss[-1]
    (d / "crashed__optimizer.name-sgd__run.seed-9.h5.partial").write_bytes(b"")  # ignored
    return d


def test_swept_keys_parse_sweep_stems():
    assert collect.swept_keys("smoke_sweep__optimizer.name-lm__run.seed-1") == {"optimizer.name": "lm",
                                                                                 "run.seed": "1"}
    assert collect.swept_keys("p__optimizer.mu-1e-3__optimizer.lr--0.5") == {"optimizer.mu": "1e-3",
                                                                              "optimizer.lr": "-0.5"}
    assert collect.swept_keys("plain_run") == {}


def test_collect_writes_csv_and_hdf5(sweep_dir, tmp_path):
    rows = collect.collect(sweep_dir)
    assert len(rows) == 6
    out = tmp_path / "table.csv"
    result = cli("collect", sweep_dir, "-o", out)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 6
    assert list(table[0]) == list(collect.BASE_COLUMNS) + ["optimizer.name", "run.seed"]
    by_file = {r["file"]: r for r in table}
    lm1 = by_file["toy__optimizer.name-lm__run.seed-1.h5"]
    assert (lm1["status"], lm1["optimizer"], lm1["seed"], lm1["optimizer.name"], lm1["run.seed"]) == \
        ("completed", "lm", "1", "lm", "1")
    assert float(lm1["mu"]) == 0.1 and float(lm1["lr"]) == 0.01 and int(lm1["steps_completed"]) == 20
    assert math.isnan(float(lm1["final_test_loss"])) and float(lm1["wall_seconds"]) == 0.25
    run = next(r for r in load_runs(sweep_dir) if r.path.name == lm1["file"])
    assert float(lm1["min_train_loss"]) == run.history["train_loss"].min()
    assert float(lm1["final_train_loss"]) == run.history["train_loss"][-1]

    back = collect.read_hdf5(out.with_suffix(".h5"))
    assert len(back) == 6
    for original, restored in zip(rows, back):
        assert list(restored) == list(original)
        for key, value in original.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(restored[key]), key
            else:
                assert restored[key] == value and type(restored[key]) is type(value), key


def test_group_bands_match_numpy(sweep_dir):
    runs = load_runs(sweep_dir)
    groups = collect.group_bands(runs)
    assert [g["key"] for g in groups] == [{"optimizer": "lm", "mu": 0.1}, {"optimizer": "sgd", "mu": None}]
    for g in groups:
        opt = g["key"]["optimizer"]
        assert sorted(g["seeds"]) == list(SEEDS)
        members = sorted((r for r in runs if r.optimizer == opt), key=lambda r: r.attrs["seed"])
        steps = np.arange(16 if opt == "lm" else 21)  # LM seed 2 stopped at 15: the common grid ends there
        np.testing.assert_array_equal(g["step"], steps)
        stacked = np.stack([r.history["train_loss"][:steps.size] for r in members])
        np.testing.assert_allclose(g["median"], np.median(stacked, axis=0), rtol=0, atol=0)
        np.testing.assert_allclose(g["min"], stacked.min(axis=0), rtol=0, atol=0)
        np.testing.assert_allclose(g["max"], stacked.max(axis=0), rtol=0, atol=0)
        # the synthetic losses are base * scale(seed), so the median is seed 1's curve
        np.testing.assert_allclose(g["median"], members[1].history["train_loss"][:steps.size])


def test_group_bands_reject_duplicate_seeds_and_missing_quantity(sweep_dir):
    runs = load_runs(sweep_dir)
    with pytest.raises(RunFileError, match="same seed"):
        collect.group_bands(runs, group_keys=("task.name",))  # sgd and lm runs of one seed in one group
    with pytest.raises(RunFileError, match="/history/nope"):
        collect.group_bands(runs, quantity="nope")


def test_seed_bands_figure(sweep_dir, tmp_path):
    out = tmp_path / "bands.png"
    labels = seed_bands.draw(sweep_dir, out)
    assert labels == ["SGD (3 seeds)", "LM μ=0.1 (3 seeds)"]
    assert out.read_bytes()[:8] == PNG_MAGIC
    fig, labels = seed_bands.figure(load_runs(sweep_dir))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step" and ax.get_ylabel() == "train loss"
    assert ax.get_title() and [t.get_text() for t in ax.get_legend().get_texts()] == labels
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2  # median lines and fill_between bands

    result = cli("seed-bands", sweep_dir, "-o", tmp_path / "wn.png", "--quantity", "weight_norm")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wn.png").read_bytes()[:8] == PNG_MAGIC


def test_seed_bands_group_by_other_swept_keys(tmp_path):
    """A sweep over lr too: same seeds appear once per lr, so lr must be part of the group."""
    d = tmp_path / "lr"
    d.mkdir()
    for lr in ("0.01", "0.1"):
        for seed in (0, 1):
            make_run_file(d / f"p__optimizer.lr-{lr}__run.seed-{seed}.h5", "sgd", seed=seed)
    # make_run_file always writes lr = 0.01 into the config: patch it to the swept value
    import h5py
    for path in d.glob("*.h5"):
        lr = collect.swept_keys(path.stem)["optimizer.lr"]
        with h5py.File(path, "a") as f:
            f.attrs["config"] = re.sub(r"lr = 0\.01", f"lr = {lr}", f.attrs["config"])
    labels = seed_bands.draw(d, tmp_path / "lr.png")
    assert labels == ["SGD, optimizer.lr=0.01 (2 seeds)", "SGD, optimizer.lr=0.1 (2 seeds)"]


def test_cli_bad_input_is_one_line(tmp_path, sweep_dir):
    assert_one_line_failure(cli("collect", tmp_path / "missing", "-o", tmp_path / "t.csv"), "no such directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_failure(cli("seed-bands", empty, "-o", tmp_path / "x.png"), "no run files")
    (sweep_dir / "broken__run.seed-7.h5").write_bytes(b"not hdf5")
    assert_one_line_failure(cli("collect", sweep_dir, "-o", tmp_path / "t.csv"), "broken__run.seed-7.h5")
    assert_one_line_failure(cli("seed-bands", sweep_dir, "-o", tmp_path / "x.png"), "broken__run.seed-7.h5")


def test_real_sweep(tmp_path):
    binary = os.environ.get("PGDX_BIN", str(REPO / "build" / "pgdx"))
    if not os.path.exists(binary):
        pytest.skip(f"pgdx binary not built at {binary} (set PGDX_BIN to use another one)")
    text = (REPO / "jobs" / "smoke_sweep.toml").read_text()
    head, sep, _ = text.partition("[sweep]")
    assert sep, "jobs/smoke_sweep.toml has no [sweep] table"
    config = tmp_path / "seeds_sweep.toml"
    config.write_text(head + '[sweep]\noptimizer.name = ["sgd", "lm"]\nrun.seed = [0, 1, 2]\n')
    out = tmp_path / "runs"
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([binary, "sweep", str(config), "--local", "-j", "2", "--out", str(out), "--quiet"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{binary} sweep failed:\n{result.stdout}\n{result.stderr}"
    rows = collect.collect(out)
    assert len(rows) == 6
    assert {r["status"] for r in rows} == {"completed"}
    assert sorted((r["optimizer.name"], r["run.seed"]) for r in rows) == \
        sorted((o, str(s)) for o in OPTIMIZERS for s in SEEDS)
    assert all(r["optimizer"] == r["optimizer.name"] and str(r["seed"]) == r["run.seed"] for r in rows)
    png = tmp_path / "x.png"
    result = cli("seed-bands", out, "-o", png)
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert seed_bands.draw(out, tmp_path / "y.png") == ["SGD (3 seeds)", "LM μ=0.1 (3 seeds)"]


def test_a_collected_table_inside_the_run_folder_is_not_taken_for_a_run(tmp_path):
    from conftest import make_run_file
    from postprocess import collect as collect_module
    from postprocess.runs import find_runs

    make_run_file(tmp_path / "a__run.seed-0.h5", "sgd")
    rows = collect_module.collect(tmp_path)
    collect_module.write_hdf5(rows, tmp_path / "table.h5")
    assert [p.name for p in find_runs(tmp_path)] == ["a__run.seed-0.h5"]
    assert len(collect_module.collect(tmp_path)) == 1
