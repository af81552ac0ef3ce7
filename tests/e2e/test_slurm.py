"""The project's Slurm templates on a real single-node Slurm (../shared/scripts/slurm_local.sh):
an array sweep completes every point and the dependent post-processing job draws the figure;
a preempted array element checkpoints, requeues itself alone and finishes with the same result
as an uninterrupted run. Skipped with the reason where Slurm cannot run (not root, not installed)."""
import os
import pathlib
import shutil
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import PGDX, SOURCE_DIR

START = SOURCE_DIR.parent / "shared" / "scripts" / "slurm_local.sh"
STOP = SOURCE_DIR.parent / "shared" / "scripts" / "slurm_local_stop.sh"
SMOKE = SOURCE_DIR / "jobs" / "smoke_sweep.toml"
SUBMIT = SOURCE_DIR / "scripts" / "submit_sweep"


def wait_for_empty_queue(timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout.strip() == "":
            return
        time.sleep(1)
    raise AssertionError("Slurm queue did not drain in time:\n" + subprocess.run(["squeue"], capture_output=True,
                                                                               text=True).stdout)


@pytest.fixture(scope="module")
def slurm():
    if os.geteuid() != 0:
        pytest.skip("the local Slurm needs root")
    if not shutil.which("sbatch") or not shutil.which("slurmctld"):
        pytest.skip("Slurm is not installed (scripts/deps.sh installs slurm-wlm and munge)")
    if not START.exists():
        pytest.skip(f"{START} not found (../shared beside the clone)")
    started = subprocess.run(["bash", str(START)], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.skip("the local Slurm could not start: " + (started.stderr or started.stdout).strip()[-300:])
    yield
    wait_for_empty_queue(120)
    subprocess.run(["bash", str(STOP)], capture_output=True)


def submit(*args):
    result = subprocess.run([str(SUBMIT), str(SMOKE), *map(str, args)], capture_output=True, text=True, cwd=SOURCE_DIR)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_array_sweep_and_dependent_postprocess_job(slurm, tmp_path):
    out = tmp_path / "runs"
    printed = submit("--out", out, "--ranks", 1, "--figure", "fig3")
    assert "points 4" in printed and "post-processing job" in printed
    wait_for_empty_queue()
    status = subprocess.run([PGDX, "sweep", str(SMOKE), "--status", "--out", str(out)], capture_output=True, text=True,
                            check=True).stdout
    assert status.splitlines()[-1] == "total 4: completed 4 running 0 interrupted 0 diverged 0 corrupt 0 partial 0 missing 0"
    png = out / "fig3.png"
    assert png.exists() and png.read_bytes()[:4] == b"\x89PNG"
    assert "nothing to submit" in submit("--out", out)


def test_a_preempted_element_requeues_alone_and_matches_an_uninterrupted_run(slurm, tmp_path):
    long_point = ["--set", "run.steps=30000", "--set", "run.record_every=1000", "--set", "optimizer.name=sgd",
                  "--set", "run.seed=0"]
    out = tmp_path / "runs"
    printed = submit("--out", out, *long_point)
    job = next(line.split()[3].rstrip(":") for line in printed.splitlines() if "array job" in line)
    deadline = time.monotonic() + 60
    while not list(out.glob("*.h5.partial")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # let it take some steps
    subprocess.run(["scancel", "--signal=TERM", "--batch", f"{job}_0"], check=True)
    wait_for_empty_queue()
    path = next(out.glob("*.h5"))
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "completed"
        assert 0 < f.attrs["resumed_from_step"] < 30000, "the element was not interrupted and resumed"
        resumed = f["/final/params"][()]
    log = (out / f"slurm-{job}_0.out").read_text()
    assert "restart 0" in log and "restart 1" in log  # --open-mode=append kept the preempted part
    reference = tmp_path / "reference"
    subprocess.run([PGDX, "sweep", str(SMOKE), *long_point, "--task-id", "0", "--out", str(reference), "--quiet"],
                   check=True, capture_output=True)
    with h5py.File(next(reference.glob("*.h5")), "r") as f:
        assert np.array_equal(f["/final/params"][()], resumed)


def test_an_array_submitted_twice_computes_every_point_once(slurm, tmp_path):
    """Elements of the second array find their points running (or finished) elsewhere and exit 0,
    so both arrays and both post-processing jobs complete and every file is written once."""
    out = tmp_path / "runs"
    steps, every = 3000, 10  # a few seconds per point
    longer = ["--set", f"run.steps={steps}", "--set", f"run.record_every={every}"]
    # Held, then one element at a time per array: the two arrays run side by side on the two cores
    # and start each point together (left alone, the first array's elements would take both cores
    # and the second's would only ever find finished points).
    submitted = [submit("--out", out, *longer, "--", "--hold") for _ in range(2)]
    jobs = [next(line.split()[3].rstrip(":") for line in s.splitlines() if "array job" in line) for s in submitted]
    posts = [next(line.split()[3] for line in s.splitlines() if "post-processing job" in line) for s in submitted]
    points = [int(s.split("points ")[1].split()[0]) for s in submitted]
    for job in jobs:
        subprocess.run(["scontrol", "update", f"JobId={job}", "ArrayTaskThrottle=1"], check=True)
    subprocess.run(["scontrol", "release", *jobs, *posts], check=True)
    wait_for_empty_queue()
    names = [line.split()[1] for line in subprocess.run([PGDX, "sweep", str(SMOKE), "--list"], capture_output=True,
                                                        text=True, check=True).stdout.splitlines()]
    logs = [p.read_text() for job in jobs for p in out.glob(f"slurm-{job}_*.out")]
    corrupt, wrong_rows, twice = [], [], []
    for k, name in enumerate(names):
        try:
            with h5py.File(out / f"{name}.h5", "r") as f:
                recorded = f["/history/step"][()]
                if f.attrs["status"] != "completed" or not np.array_equal(recorded, np.arange(0, steps + 1, every)):
                    wrong_rows.append(name)
        except (OSError, KeyError):
            corrupt.append(name)
        runs = sum(log.count(f"-> {out / name}.h5") for log in logs)  # the completion line names the file
        if runs != 1:
            twice.append((name, runs))
    elsewhere = sum(log.count(" is running elsewhere (") for log in logs)
    finished = sum(log.count("; nothing to resume") for log in logs)
    print(f"\narray submitted twice ({points[0]} + {points[1]} elements): {len(names)} files, {len(corrupt)} corrupt, "
          f"{len(twice)} points run twice or never, {len(wrong_rows)} with wrong history rows; "
          f"{elsewhere} elements found their point running elsewhere, {finished} found it finished")
    assert corrupt == [] and wrong_rows == [] and twice == []
    assert elsewhere >= 1  # the arrays did meet at a running point
    status = subprocess.run([PGDX, "sweep", str(SMOKE), "--status", "--out", str(out), *longer], capture_output=True,
                            text=True, check=True).stdout
    assert status.splitlines()[-1] == "total 4: completed 4 running 0 interrupted 0 diverged 0 corrupt 0 partial 0 missing 0"
    assert not list(out.glob("*.partial")) and not list(out.glob("*.lock"))
    for job in jobs:  # every element of both arrays succeeded: sacct may be absent, the logs say it
        for log in out.glob(f"slurm-{job}_*.out"):
            assert "error" not in log.read_text().lower(), log.read_text()


def test_the_installed_templates_run_an_installed_pgdx_outside_any_source_tree(slurm, tmp_path):
    """`cmake --install` puts the templates in PREFIX/share/pgdx/slurm; submitted from a folder that
    holds no build/ and no scripts/, they find pgdx and pgdx-post on PATH and the Open MPI settings
    in PREFIX/share/pgdx."""
    build_dir = pathlib.Path(os.environ.get("PGDX_BUILD_DIR", pathlib.Path(PGDX).parent))
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", build_dir, "--prefix", prefix], check=True, capture_output=True)
    share = prefix / "share" / "pgdx"
    assert (share / "mpi_env.sh").is_file()
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{prefix / 'bin'}:{os.environ['PATH']}"}
    env.pop("PGDX_ROOT", None)
    config = share / "jobs" / "smoke_sweep.toml"
    sbatch = ["sbatch", "--parsable", f"--chdir={work}"]
    array = subprocess.run([*sbatch, "--array=0-1", "-n", "1", "--output=slurm-%A_%a.out",
                            share / "slurm" / "sweep.sbatch", config, "runs"],
                           capture_output=True, text=True, cwd=work, env=env, check=True).stdout.strip()
    subprocess.run([*sbatch, f"--dependency=afterany:{array}", "--output=slurm-post.out",
                    share / "slurm" / "postprocess.sbatch", "fig3", "runs", config],
                   capture_output=True, text=True, cwd=work, env=env, check=True)
    wait_for_empty_queue()
    logs = "".join(p.read_text() for p in work.glob("slurm-*.out"))
    files = sorted((work / "runs").glob("*.h5"))
    assert len(files) == 2, logs
    for path in files:
        with h5py.File(path, "r") as f:
            assert f.attrs["status"] == "completed", logs
    assert (work / "runs" / "fig3.png").read_bytes()[:4] == b"\x89PNG", logs
    assert "figure written to" in (work / "slurm-post.out").read_text()
