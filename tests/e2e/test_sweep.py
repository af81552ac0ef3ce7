"""pgdx sweep: grid size and order, task ids, bad values rejected before any task runs, --status
on a folder with a killed, a diverged and a missing point, and --local re-running only those."""
import os
import subprocess

import h5py

from conftest import PGDX, SOURCE_DIR, run_pgdx

SMOKE = SOURCE_DIR / "jobs" / "smoke_sweep.toml"


def test_count_is_the_product_of_the_list_lengths():
    assert run_pgdx(["sweep", SOURCE_DIR / "jobs" / "fig3_seeds.toml", "--count"], check=True).stdout.strip() == "15"
    assert run_pgdx(["sweep", SMOKE, "--count"], check=True).stdout.strip() == "4"
    # a --set of a swept key fixes it
    assert run_pgdx(["sweep", SMOKE, "--count", "--set", "run.seed=7"], check=True).stdout.strip() == "2"


def test_list_order_is_keys_by_name_last_fastest():
    lines = run_pgdx(["sweep", SMOKE, "--list"], check=True).stdout.splitlines()
    assert [line.split()[2:] for line in lines] == [
        ["optimizer.name='sgd'", "run.seed=0"], ["optimizer.name='sgd'", "run.seed=1"],
        ["optimizer.name='lm'", "run.seed=0"], ["optimizer.name='lm'", "run.seed=1"]]


def test_every_task_id_writes_its_point_and_out_of_range_ids_exit_2(tmp_path):
    for k in range(4):
        run_pgdx(["sweep", SMOKE, "--task-id", k, "--out", tmp_path, "--quiet"], ranks=1 + k % 2, check=True)
    names = [line.split()[1] for line in run_pgdx(["sweep", SMOKE, "--list"], check=True).stdout.splitlines()]
    for name in names:
        with h5py.File(tmp_path / f"{name}.h5", "r") as f:
            assert f.attrs["status"] == "completed" and f.attrs["run_name"] == name
    for bad in (-1, 4):
        result = run_pgdx(["sweep", SMOKE, "--task-id", bad, "--out", tmp_path])
        assert result.returncode == 2 and "out of range 0..3" in result.stderr


def test_slurm_array_task_id_selects_the_point(tmp_path):
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "3"}
    subprocess.run([PGDX, "sweep", str(SMOKE), "--out", str(tmp_path), "--quiet"], env=env, check=True,
                   capture_output=True)
    assert [p.name for p in tmp_path.glob("*.h5")] == ["smoke_sweep__optimizer.name-lm__run.seed-1.h5"]


def test_an_invalid_grid_value_fails_count_before_anything_runs(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(SMOKE.read_text().replace('run.seed = [0, 1]', 'run.seed = [0, 1]\noptimizer.lr = [0.01, -1.0]'))
    result = run_pgdx(["sweep", config, "--count"])
    assert result.returncode == 2
    # keys sort as optimizer.lr < optimizer.name < run.seed: lr = -1 first appears at point 4
    assert "optimizer.lr" in result.stderr and "sweep point 4" in result.stderr
    assert run_pgdx(["sweep", config, "--local", "--out", tmp_path / "out"]).returncode == 2
    assert not (tmp_path / "out").exists()


def test_status_reports_killed_diverged_and_missing_points_and_local_reruns_only_those(tmp_path):
    config = tmp_path / "lr.toml"
    # sum reduction: lr = 10 diverges; the other rates train
    config.write_text(SMOKE.read_text().replace('reduction = "mean"', 'reduction = "sum"')
                      .replace('optimizer.name = ["sgd", "lm"]\nrun.seed = [0, 1]', 'optimizer.lr = [1e-5, 2e-5, 10.0, 3e-5]'))
    out = tmp_path / "runs"
    run_pgdx(["sweep", config, "--task-id", 0, "--out", out, "--quiet"], check=True)
    killed = subprocess.run([PGDX, "sweep", str(config), "--task-id", "1", "--out", str(out), "--quiet"],
                            env={**os.environ, "PGDX_RAISE_SIGKILL_AT_STEP": "50"}, capture_output=True)
    assert killed.returncode != 0
    run_pgdx(["sweep", config, "--task-id", 2, "--out", out, "--quiet"], check=True)  # diverges: exit 0
    status = run_pgdx(["sweep", config, "--status", "--out", out], check=True).stdout.splitlines()
    assert [line.split()[1] for line in status[:4]] == ["completed", "failed", "diverged", "missing"]
    assert status[-1] == "total 4: completed 1 interrupted 0 diverged 1 failed 1 missing 1"
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("*.h5")}
    rerun = run_pgdx(["sweep", config, "--local", "-j", "2", "--out", out], check=True).stdout
    assert "4 points, 2 to run" in rerun
    status = run_pgdx(["sweep", config, "--status", "--out", out], check=True).stdout.splitlines()
    assert [line.split()[1] for line in status[:4]] == ["completed", "completed", "diverged", "completed"]
    for name, mtime in finished.items():  # the completed and the diverged files were not touched
        assert (out / name).stat().st_mtime_ns == mtime
    assert not list(out.glob("*.partial"))


def test_submit_splits_arrays_larger_than_max_array_size(tmp_path):
    env = {**os.environ, "PGDX_MAX_ARRAY_SIZE": "4"}
    result = subprocess.run([str(SOURCE_DIR / "scripts" / "submit_sweep"), str(SOURCE_DIR / "jobs" / "fig3_seeds.toml"),
                             "--out", str(tmp_path), "--dry-run"], capture_output=True, text=True, env=env,
                            cwd=SOURCE_DIR)
    assert result.returncode == 0, result.stderr
    arrays = [line for line in result.stderr.splitlines() if "sweep.sbatch" in line]
    assert len(arrays) == 4  # 15 points in arrays of at most 4
    assert "--array=0-3" in arrays[0] and "PGDX_TASK_OFFSET=12" in arrays[3] and "--array=0-2" in arrays[3]
    post = [line for line in result.stderr.splitlines() if "postprocess.sbatch" in line]
    assert len(post) == 1 and "--dependency=afterok:DRYRUN:DRYRUN:DRYRUN:DRYRUN" in post[0]
