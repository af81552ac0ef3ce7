"""pgdx sweep: grid size and order, task ids, bad values rejected before any task runs, --status
on a folder with a killed, a diverged and a missing point, and --local re-running only those."""
import os
import shutil
import subprocess

import h5py

from conftest import MPIEXEC, PGDX, SOURCE_DIR, run_pgdx

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


def test_set_run_name_names_the_points():
    """A plain config is a one-point sweep named after its file; --set run.name names it (and
    prefixes a grid's points), so several variants of one job can share a folder."""
    fig3 = SOURCE_DIR / "jobs" / "fig3_regression1d.toml"
    assert run_pgdx(["sweep", fig3, "--list"], check=True).stdout.split()[:2] == ["0", "fig3_regression1d"]
    for value in ("fig3_gn", '"fig3_gn"'):
        listed = run_pgdx(["sweep", fig3, "--set", "optimizer.name=gn", "--set", f"run.name={value}", "--list"],
                          check=True).stdout.split()
        assert listed[:2] == ["0", "fig3_gn"]
    lines = run_pgdx(["sweep", SMOKE, "--set", "run.name=x", "--list"], check=True).stdout.splitlines()
    assert [line.split()[1] for line in lines][:2] == ["x__optimizer.name-sgd__run.seed-0",
                                                       "x__optimizer.name-sgd__run.seed-1"]


def test_linked_entries_set_their_keys_together_and_arrays_name_their_items(tmp_path):
    fig4 = SOURCE_DIR / "jobs" / "fig4_pinn_poisson.toml"
    lines = run_pgdx(["sweep", fig4, "--list"], check=True).stdout.splitlines()
    assert len(lines) == 9  # 3 linked optimizer entries x 3 frequencies, not 3 x 3 x 3 x 3
    assert lines[8].split()[1:] == ["fig4_pinn_poisson__optimizer-lm_0.1_0.1__task.frequency-3x3",
                                    "optimizer.lr=0.1", "optimizer.mu=0.1", "optimizer.name='lm'",
                                    "task.frequency=[3,3]"]
    # a --set of a key inside the linked entries wins over every entry's value
    run_pgdx(["sweep", fig4, "--task-id", 4, "--set", "optimizer.lr=0.5", "--set", "run.steps=2", "--out", tmp_path,
              "--quiet"], check=True)
    with h5py.File(tmp_path / "fig4_pinn_poisson__optimizer-adam_0.01__task.frequency-2x2.h5", "r") as f:
        assert "lr = 0.5" in f.attrs["config"] and "name = 'adam'" in f.attrs["config"]
        assert "frequency = [ 2, 2 ]" in f.attrs["config"]
    bad = tmp_path / "nested.toml"
    bad.write_text(fig4.read_text().replace('{ name = "sgd", lr = 1e-3 }', '{ name = "sgd", lr = { x = 1 } }'))
    result = run_pgdx(["sweep", bad, "--count"])
    assert result.returncode == 2 and "sweep.optimizer" in result.stderr and "not a table" in result.stderr


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
    # The killed point left only its .partial file: "partial" (it could as well be still running).
    assert [line.split()[1] for line in status[:4]] == ["completed", "partial", "diverged", "missing"]
    assert status[-1] == "total 4: completed 1 running 0 interrupted 0 diverged 1 corrupt 0 partial 1 missing 1"
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


def test_local_points_are_never_bound_to_the_same_cores(tmp_path):
    """Each mpirun binds from core 0 up, unaware of other sweeps or runs on the machine: the launcher
    must unbind every point, with -j 1 too (two sweeps from two shells both bind to core 0)."""
    record = tmp_path / "argv.txt"
    wrapper = tmp_path / "mpirun_wrapper.sh"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {record}\nexec {shutil.which(MPIEXEC) or MPIEXEC} "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PGDX_MPIEXEC": str(wrapper)}
    for jobs in ("1", "2"):
        subprocess.run([PGDX, "sweep", str(SMOKE), "--local", "-j", jobs, "--out", str(tmp_path / jobs),
                        "--set", "run.steps=2"], env=env, check=True, capture_output=True)
    lines = record.read_text().splitlines()
    assert len(lines) == 8
    assert all("--bind-to none" in line for line in lines)


def test_status_calls_an_unreadable_final_file_corrupt(tmp_path):
    out = tmp_path / "runs"
    out.mkdir()
    first = run_pgdx(["sweep", SMOKE, "--list"], check=True).stdout.splitlines()[0].split()[1]
    (out / f"{first}.h5").write_bytes(b"not an HDF5 file")
    status = run_pgdx(["sweep", SMOKE, "--status", "--out", out], check=True).stdout.splitlines()
    assert status[0].split()[1] == "corrupt"
    assert status[-1] == "total 4: completed 0 running 0 interrupted 0 diverged 0 corrupt 1 partial 0 missing 3"
