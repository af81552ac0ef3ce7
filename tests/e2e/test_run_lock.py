"""One writer per run (OUT/NAME.h5.lock): two `sweep --local` of one folder started half a second
apart compute every point once and leave intact files; a second `train --resume` of a running run
stops with exit 0; `--status` and `--local` see a point that runs elsewhere."""
import signal
import subprocess
import time

import h5py
import numpy as np

from conftest import FIG3, PGDX, SOURCE_DIR, run_pgdx

SEEDS = SOURCE_DIR / "jobs" / "fig3_seeds.toml"
SMOKE = SOURCE_DIR / "jobs" / "smoke_sweep.toml"


def wait_for(path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"the runner ended before taking its lock:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def read_history_steps(path):
    """/history/step of a run file, or None if h5py cannot read it."""
    try:
        with h5py.File(path, "r") as f:
            return f["/history/step"][()] if f.attrs["status"] == "completed" else None
    except (OSError, KeyError):
        return None


def test_two_local_sweeps_of_one_folder_compute_every_point_once(tmp_path):
    out = tmp_path / "runs"
    steps = 300
    command = [PGDX, "sweep", str(SEEDS), "--local", "-j", "1", "--set", f"run.steps={steps}", "--out", str(out)]
    started = time.monotonic()
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = [runner.communicate(timeout=600)[0] for runner in (first, second)]
    seconds = time.monotonic() - started

    names = [line.split()[1] for line in run_pgdx(["sweep", SEEDS, "--list"], check=True).stdout.splitlines()]
    corrupt, twice, wrong_rows, turned_away = [], [], [], 0
    for name in names:
        recorded = read_history_steps(out / f"{name}.h5")
        if recorded is None:
            corrupt.append(name)
        elif not np.array_equal(recorded, np.arange(steps + 1)):
            wrong_rows.append(name)
        log = (out / "logs" / f"{name}.log").read_text()
        if sum(line.startswith("pgdx: completed ") for line in log.splitlines()) != 1:
            twice.append(name)
        turned_away += log.count(" is running elsewhere (") + log.count("; nothing to resume")
    summaries = [next((line for line in p.splitlines() if line.startswith("sweep finished:")), "") for p in printed]
    ran = [int(s.split()[2]) if s else -1 for s in summaries]
    print(f"\ntwo runners, {len(names)} points of {steps} steps, {seconds:.1f} s: {len(names)} files, "
          f"{len(corrupt)} corrupt, {len(twice)} points run twice, {len(wrong_rows)} with wrong history rows; "
          f"points run by each runner {ran}, {turned_away} attempts turned away by the lock")
    assert corrupt == [] and twice == [] and wrong_rows == []
    assert first.returncode == 0 and second.returncode == 0, printed
    assert sum(ran) == len(names), summaries  # each runner reports only what it ran
    assert all(", 0 failed," in s for s in summaries), summaries
    assert not list(out.glob("*.partial")) and not list(out.glob("*.lock"))
    status = run_pgdx(["sweep", SEEDS, "--status", "--set", f"run.steps={steps}", "--out", out], check=True).stdout
    assert status.splitlines()[-1] == ("total 15: completed 15 running 0 interrupted 0 diverged 0 corrupt 0 "
                                       "partial 0 missing 0")


def test_a_second_resume_of_a_running_run_stops_with_exit_0_and_the_file_stays_intact(tmp_path):
    out = tmp_path / "runs"
    steps = 3000
    command = [PGDX, "train", str(FIG3), "--set", "optimizer.name=lm", "--set", f"run.steps={steps}", "--resume",
               "--out", str(out), "--quiet"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = out / "fig3_regression1d_lm_mu0.5_seed0.h5.lock"
    wait_for(lock, first)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    printed = first.communicate(timeout=300)[0]
    assert first.returncode == 0, printed
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines() == [
        line for line in second.stdout.strip().splitlines() if "is running elsewhere" in line]
    assert f"pgdx: fig3_regression1d_lm_mu0.5_seed0 is running elsewhere (host " in second.stdout
    assert f", pid {first.pid}, since " in second.stdout and second.stdout.rstrip().endswith("; not started")
    recorded = read_history_steps(out / "fig3_regression1d_lm_mu0.5_seed0.h5")
    assert recorded is not None and np.array_equal(recorded, np.arange(steps + 1))
    assert not list(out.glob("*.partial")) and not lock.exists()


def test_status_and_local_see_a_point_running_elsewhere(tmp_path):
    """The running point is started with other settings: the lock stops a second runner before
    it reads the point's file (which would refuse the changed configuration)."""
    out = tmp_path / "runs"
    names = [line.split()[1] for line in run_pgdx(["sweep", SMOKE, "--list"], check=True).stdout.splitlines()]
    endless = subprocess.Popen([PGDX, "sweep", str(SMOKE), "--task-id", "0", "--set", "run.steps=100000000",
                                "--set", "run.record_every=1000000", "--out", str(out), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(out / f"{names[0]}.h5.lock", endless)
        status = run_pgdx(["sweep", SMOKE, "--status", "--out", out], check=True).stdout.splitlines()
        assert status[0].split()[1] == "running" and f", pid {endless.pid}, since " in status[0]
        assert status[-1] == "total 4: completed 0 running 1 interrupted 0 diverged 0 corrupt 0 partial 0 missing 3"
        earlier = out / "logs" / f"{names[1]}.log"
        earlier.parent.mkdir(parents=True)
        earlier.write_text("output of an earlier attempt\n")
        local = run_pgdx(["sweep", SMOKE, "--local", "-j", "1", "--out", out], check=True).stdout
        assert f"point 0 {names[0]}: running elsewhere (host " in local
        assert local.splitlines()[-1] == "sweep finished: 3 run, 0 failed, 0 diverged, 1 elsewhere"
        assert not (out / "logs" / f"{names[0]}.log").exists()  # never started here
        # A log is appended to, after a header naming the attempt, never truncated.
        log = earlier.read_text().splitlines()
        assert log[0] == "output of an earlier attempt"
        assert log[1].startswith("==== pgdx sweep --local: point 1 on host ") and " pid " in log[1]
        assert any(line.startswith("pgdx: completed ") for line in log[2:])
    finally:
        endless.send_signal(signal.SIGTERM)  # checkpoints and ends `interrupted`, exit 0
        printed = endless.communicate(timeout=120)[0]
    assert endless.returncode == 0, printed
    status = run_pgdx(["sweep", SMOKE, "--status", "--out", out], check=True).stdout.splitlines()
    assert status[-1] == "total 4: completed 3 running 0 interrupted 1 diverged 0 corrupt 0 partial 0 missing 0"
    assert not list(out.glob("*.lock"))
