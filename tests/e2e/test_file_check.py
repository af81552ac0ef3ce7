"""Files that prove they are whole: one bit flipped in any dataset of a completed run file makes
`pgdx sweep --status` call the point `corrupt` and post-processing refuse the file with one line;
`--resume` (and so `sweep --local`) moves such a file to NAME.h5.corrupt and runs the point afresh.
Files without checksums (written before they existed) still pass when their structure is sound."""
import shutil
import signal
import subprocess
import sys

import h5py
import numpy as np

from conftest import FIG3, PGDX, SOURCE_DIR, run_pgdx

sys.path.insert(0, str(SOURCE_DIR))
from postprocess.runs import RunFileError, load_run  # noqa: E402
sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))
from h5_damage import flip_bit, stored_offset  # noqa: E402

SMOKE = SOURCE_DIR / "jobs" / "smoke_sweep.toml"
SHORT = ["--set", "run.steps=20"]


def dataset_names(path):
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        return names


def status_lines(folder):
    return run_pgdx(["sweep", SMOKE, "--status", *SHORT, "--out", folder], check=True).stdout.splitlines()


def postprocess(*args):
    return subprocess.run([sys.executable, "-m", "postprocess", *map(str, args)], cwd=SOURCE_DIR,
                          capture_output=True, text=True, timeout=120)


def test_a_bit_flipped_in_any_dataset_is_corrupt_for_sweep_status_and_refused_by_postprocess(tmp_path):
    base = tmp_path / "base"
    run_pgdx(["sweep", SMOKE, "--task-id", 0, *SHORT, "--out", base, "--quiet"], check=True)
    (good,) = base.glob("*.h5")
    assert status_lines(base)[-1] == "total 4: completed 1 running 0 interrupted 0 diverged 0 corrupt 0 partial 0 missing 3"
    names = dataset_names(good)
    flipped = reported = refused = 0
    for i, name in enumerate(names):
        offset = stored_offset(good, name)
        assert offset is not None, f"{name} has no stored bytes to damage"
        folder = tmp_path / f"flip{i}"
        folder.mkdir()
        bad = folder / good.name
        shutil.copy(good, bad)
        flip_bit(bad, offset)
        flipped += 1
        lines = status_lines(folder)
        if lines[0].split()[1] == "corrupt" and \
                lines[-1] == "total 4: completed 0 running 0 interrupted 0 diverged 0 corrupt 1 partial 0 missing 3":
            reported += 1
        try:
            load_run(bad)
        except RunFileError as e:
            message = str(e)
            refused += "\n" not in message and str(bad) in message and f"/{name}" in message
    print(f"\n{good.name} ({good.stat().st_size} bytes): {len(names)} datasets, {flipped} flipped, "
          f"{reported} reported corrupt by sweep --status, {refused} refused by postprocess naming file and dataset")
    assert flipped == reported == refused == len(names) >= 15

    # The command line: exit 2 and one line naming the file, no figure.
    result = postprocess("fig3", tmp_path / "flip0", "-o", tmp_path / "fig3.png")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and str(tmp_path / "flip0" / good.name) in result.stderr
    assert not (tmp_path / "fig3.png").exists()


def test_resume_moves_a_corrupt_file_aside_and_reruns_it_to_a_whole_one(tmp_path):
    out = tmp_path / "runs"
    run_pgdx(["train", FIG3, *SHORT, "--out", out, "--quiet"], ranks=2, check=True)
    (good,) = out.glob("*.h5")
    with h5py.File(good, "r") as f:
        reference = f["final/params"][()]
    corrupt = out / (good.name + ".corrupt")
    corrupt.write_bytes(b"an older corrupt file")  # replaced, not kept beside
    flip_bit(good, stored_offset(good, "history/train_loss"))
    damaged = good.read_bytes()

    result = run_pgdx(["train", FIG3, *SHORT, "--out", out, "--resume", "--quiet"], ranks=2, check=True)
    warnings = [line for line in result.stderr.splitlines() if "corrupt" in line]
    print("\n" + "\n".join(warnings))
    assert len(warnings) == 1 and str(good) in warnings[0] and str(corrupt) in warnings[0]
    assert "/history/train_loss" in warnings[0] and "checksum" in warnings[0]
    assert corrupt.read_bytes() == damaged
    # The re-run is whole (the C++ check says so: --resume leaves it alone) and equals the first run.
    again = run_pgdx(["train", FIG3, *SHORT, "--out", out, "--resume"], ranks=2, check=True)
    assert "is already completed; nothing to resume" in again.stdout and "corrupt" not in again.stderr
    run = load_run(good)
    assert run.status == "completed"
    with h5py.File(good, "r") as f:
        np.testing.assert_array_equal(f["final/params"][()], reference)


def test_sweep_local_reruns_a_corrupt_point_only(tmp_path):
    out = tmp_path / "sweep"
    run_pgdx(["sweep", SMOKE, "--local", *SHORT, "--out", out], check=True)
    name = status_lines(out)[2].split()[2]
    flip_bit(out / f"{name}.h5", stored_offset(out / f"{name}.h5", "final/params"))
    lines = status_lines(out)
    assert lines[2].split()[1] == "corrupt"
    assert lines[-1] == "total 4: completed 3 running 0 interrupted 0 diverged 0 corrupt 1 partial 0 missing 0"
    rerun = run_pgdx(["sweep", SMOKE, "--local", *SHORT, "--out", out], check=True).stdout
    assert "4 points, 1 to run" in rerun and f"point 2 {name}: completed" in rerun
    assert (out / f"{name}.h5.corrupt").exists()
    assert status_lines(out)[-1] == "total 4: completed 4 running 0 interrupted 0 diverged 0 corrupt 0 partial 0 missing 0"


def without_checksums(source, target):
    """The file as pgdx wrote it before checksums: same attributes, datasets and chunking, no filter."""
    with h5py.File(source, "r") as a, h5py.File(target, "w") as b:
        for key, value in a.attrs.items():
            b.attrs[key] = value

        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                extendible = obj.maxshape[0] is None
                b.create_dataset(name, data=obj[()], maxshape=obj.maxshape, chunks=obj.chunks if extendible else None)
        a.visititems(copy)


def test_a_sound_file_without_checksums_still_passes(tmp_path):
    new, old = tmp_path / "new", tmp_path / "old"
    run_pgdx(["sweep", SMOKE, "--task-id", 0, *SHORT, "--out", new, "--quiet"], check=True)
    (path,) = new.glob("*.h5")
    old.mkdir()
    without_checksums(path, old / path.name)
    with h5py.File(old / path.name, "r") as f:
        assert not any(f[n].fletcher32 for n in dataset_names(old / path.name))
    assert status_lines(old)[0].split()[1] == "completed"
    assert load_run(old / path.name).status == "completed"
    with h5py.File(old / path.name, "r+") as f:
        f["history/train_loss"].resize(f["history/train_loss"].shape[0] - 1, axis=0)  # one row short
    assert status_lines(old)[0].split()[1] == "corrupt"


def test_a_run_stopped_by_a_real_sigterm_between_records_is_interrupted_not_corrupt(tmp_path):
    """A signal stops a run after any step; the history ends at the last record before it, the
    checkpoint at the stop. That file is whole."""
    long_run = ["--set", "run.steps=200000", "--set", "run.record_every=100"]
    proc = subprocess.Popen([PGDX, "sweep", str(SMOKE), "--task-id", "0", *long_run, "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:  # the header line of the progress table: training has started
        if line.split()[:1] == ["step"]:
            break
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    (path,) = tmp_path.glob("*.h5")
    with h5py.File(path, "r") as f:
        last, stopped = int(f["history/step"][-1]), int(f["checkpoint/step"][0])
    print(f"\nstopped after step {stopped}, last record {last}")
    lines = run_pgdx(["sweep", SMOKE, "--status", *long_run, "--out", tmp_path], check=True).stdout.splitlines()
    assert lines[0].split()[1] == "interrupted"
    assert load_run(path).status == "interrupted"
