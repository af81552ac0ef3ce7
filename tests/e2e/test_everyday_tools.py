"""Everyday use (issue 16): post-processing from any directory (scripts/postprocess, and the command
`pgdx train` / `pgdx sweep --local` print for what they wrote, run verbatim elsewhere), `pgdx show`
checked fact by fact against the file as h5py reads it, and `cmake --install` into a prefix whose
pgdx and pgdx-post work from anywhere."""
import fcntl
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import FIG3, MPIEXEC, PGDX, SOURCE_DIR, run_pgdx

sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))
from h5_damage import flip_bit, stored_offset  # noqa: E402

WRAPPER = SOURCE_DIR / "scripts" / "postprocess"
SWEEP_FIG9 = SOURCE_DIR / "jobs" / "smoke_fig9_regression2d.toml"
PHASES_JOB = SOURCE_DIR / "jobs" / "smoke_fig12_continuation.toml"  # classification, GGN then Adam
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def without_pythonpath():
    """The environment minus PYTHONPATH: the wrapper must find the package by itself."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def run(cmd, cwd, shell=False):
    result = subprocess.run(cmd, cwd=cwd, shell=shell, capture_output=True, text=True, timeout=600,
                            env=without_pythonpath(), executable="/bin/bash" if shell else None)
    return result


def is_png(path):
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


def postprocess_line(stdout):
    """The command after 'post-process: ' (exactly one such line)."""
    lines = [line for line in stdout.splitlines() if line.startswith("post-process: ")]
    assert len(lines) == 1, stdout
    return lines[0].removeprefix("post-process: ")


@pytest.fixture(scope="module")
def fig3_run(tmp_path_factory):
    """A 5-step Fig. 3 run on 2 ranks, started in a folder of its own with a relative --out."""
    work = tmp_path_factory.mktemp("work")
    result = subprocess.run([MPIEXEC, "-n", "2", PGDX, "train", FIG3, "--set", "run.steps=5", "--out", "runs",
                             "--quiet"], cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    (path,) = (work / "runs").glob("*.h5")
    return path, result.stdout


# --- scripts/postprocess and the printed command -------------------------------------------------

def test_the_wrapper_draws_a_run_from_any_directory(fig3_run, tmp_path):
    path, _ = fig3_run
    png = tmp_path / "fig3.png"
    result = run([WRAPPER, "fig3", path.parent, "-o", png], cwd="/tmp")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(png) and is_png(png)


def test_the_wrapper_lists_every_figure_in_its_help(tmp_path):
    result = run([WRAPPER, "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(SOURCE_DIR))
    from postprocess.__main__ import FIGURES
    listed = re.findall(r"^    (\S+)", result.stdout, re.M)  # one line per subcommand, its help beside or below
    assert listed == list(FIGURES)


def test_train_prints_a_command_that_draws_its_run_verbatim_from_elsewhere(fig3_run, tmp_path):
    path, stdout = fig3_run
    command = postprocess_line(stdout)
    words = shlex.split(command)
    png = path.with_suffix(".png")
    # The job names its figure (jobs/fig3_regression1d.toml -> fig3); paths are absolute.
    assert words == [str(WRAPPER), "fig3", str(path), "-o", str(png)]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(command, cwd=elsewhere, shell=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(png) and is_png(png)


def test_a_job_of_no_figure_gets_the_generic_command_quoted_for_the_shell(tmp_path):
    job = tmp_path / "my study.toml"
    shutil.copy(FIG3, job)
    out = tmp_path / "my runs"
    result = run_pgdx(["train", job, "--set", "run.steps=3", "--set", "run.name=mine", "--out", out, "--quiet"],
                      check=True)
    command = postprocess_line(result.stdout)
    assert shlex.split(command) == [str(WRAPPER), "seed-bands", str(out / "mine.h5"), "-o", str(out / "mine.png")]
    drawn = run(command, cwd=tmp_path, shell=True)
    assert drawn.returncode == 0, drawn.stderr
    assert is_png(out / "mine.png")


def test_sweep_local_prints_the_figure_command_for_its_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    # The Fig. 9 smoke job with two of its four optimizers (its name still says fig9).
    job = work / "smoke_fig9_two.toml"
    text = SWEEP_FIG9.read_text()
    sweep = re.search(r"^optimizer = \[.*\]$", text, re.M).group(0)
    job.write_text(text.replace(sweep, 'optimizer = [{ name = "sgd" }, { name = "adam", lr = 1e-3 }]'))
    result = subprocess.run([PGDX, "sweep", job, "--set", "run.steps=3", "--local", "-j", "2", "--out", "fig9"],
                            cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    command = postprocess_line(result.stdout)
    folder = work / "fig9"
    assert shlex.split(command) == [str(WRAPPER), "fig9", str(folder), "-o", str(folder / "fig9.png")]
    drawn = run(command, cwd=tmp_path, shell=True)
    assert drawn.returncode == 0, drawn.stderr
    assert is_png(folder / "fig9.png")
    # The figure's table: one row per point of the sweep.
    assert sum(".h5 |" in line for line in drawn.stdout.splitlines()) == 2


def test_the_figures_pgdx_names_are_the_ones_postprocess_draws():
    """src/app/postprocess_hint.cpp lists the figures a job can name; postprocess/__main__.py draws
    them."""
    source = (SOURCE_DIR / "src" / "app" / "postprocess_hint.cpp").read_text()
    listed = set(re.findall(r'"(fig\d+)"', re.search(r"kFigures\[\] = \{(.*?)\};", source, re.S).group(1)))
    sys.path.insert(0, str(SOURCE_DIR))
    from postprocess.__main__ import FIGURES
    drawn = {name for name in FIGURES if re.fullmatch(r"fig\d+", name)}
    assert listed == drawn
    named = {re.match(r"(?:smoke_)?(fig\d+)_", p.name).group(1) for p in (SOURCE_DIR / "jobs").glob("*fig*.toml")}
    assert named <= listed


# --- pgdx show -----------------------------------------------------------------------------------

def show(path, cwd=None):
    return subprocess.run([PGDX, "show", str(path)], capture_output=True, text=True, timeout=120, cwd=cwd)


def fields(stdout):
    """{label: value} of the report's top-level lines (labels start in column 0)."""
    out = {}
    for line in stdout.splitlines():
        if line and not line.startswith(" "):
            label, _, value = line.partition(" ")
            out.setdefault(label, value.strip())
    return out


def pairs(text):
    """'step 5  train_loss 0.38' -> {'step': '5', 'train_loss': '0.38'}"""
    words = text.split()
    return dict(zip(words[0::2], words[1::2]))


def block(stdout, label):
    """The indented lines under a top-level label, without their indent."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(label + " "))
    rows = []
    for line in lines[start + 1:]:
        if line and not line.startswith("  "):
            break
        rows.append(line[2:])
    return rows


def file_datasets(f):
    names = []
    f.visititems(lambda name, obj: names.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(names)


def test_show_reports_a_completed_run_as_the_file_holds_it(fig3_run, tmp_path):
    path, _ = fig3_run
    result = show(path, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    report = fields(result.stdout)
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert report["file"] == str(path)
        assert report["status"] == "completed" == a["status"]
        assert report["run"] == a["run_name"] and report["task"] == a["task"] == "regression1d"
        assert report["optimizer"] == a["optimizer"] and int(report["seed"]) == a["seed"]
        assert report["job"] == a["config_file"] and report["overrides"] == "--set run.steps=5"
        assert report["version"] == f"pgdx {a['pgdx_version']}, commit {a['git_commit']}"
        assert int(report["ranks"]) == a["ranks"] == 2
        assert report["started"] == a["started_at"]
        assert report["size"].startswith(f"{a['num_params']} parameters, {a['num_train']} training samples")
        assert report["steps"].startswith(f"{a['steps_completed']} in ")
        final = pairs(report["final"])
        assert int(final["step"]) == f["history/step"][-1] == 5
        assert float(final["train_loss"]) == pytest.approx(f["history/train_loss"][-1], rel=1e-5)
        assert "test_loss" not in final  # NaN throughout: the task has no test set
        assert "grokking" not in report and "phases" not in report  # regression, one optimizer
        assert block(result.stdout, "config") == a["config"].rstrip("\n").splitlines()
        listed = [row.split() for row in block(result.stdout, "datasets")]
        assert int(report["datasets"]) == len(listed)
        assert [name for name, *_ in listed] == file_datasets(f)
        assert all(" ".join(shape) == str(f[name].shape) for name, *shape in listed)
    assert shlex.split(report["post-process"])[1:3] == ["fig3", str(path)]


def test_show_reports_phases_accuracy_and_grokking(tmp_path):
    run_pgdx(["train", PHASES_JOB, "--out", tmp_path, "--quiet"], check=True)
    (path,) = tmp_path.glob("*.h5")
    result = show(path)
    assert result.returncode == 0, result.stderr
    report = fields(result.stdout)
    with h5py.File(path, "r") as f:
        a = f.attrs
        final = pairs(report["final"])
        assert int(final["step"]) == f["history/step"][-1]
        for metric in ("train_loss", "test_loss", "train_acc", "test_acc"):
            assert float(final[metric]) == pytest.approx(f["history/" + metric][-1], rel=1e-5), metric

        def reached(step):
            return "never" if step < 0 else f"at step {step}"
        delay = a["grokking_delay"]
        assert report["grokking"] == (
            f"train_acc >= 0.99 {reached(a['train_acc_99_step'])}, test_acc >= {a['test_acc_threshold']:g} "
            f"{reached(a['test_acc_threshold_step'])}, delay {'none' if delay < 0 else f'{delay} steps'}")
        ends = f["phases/end_step"][()]
        methods = a["optimizer"].split("+")
        assert methods == ["ggn", "adam"]
        lines = [line.strip() for line in result.stdout.splitlines()]
        start = lines.index(next(line for line in lines if line.startswith("phases ")))
        expected = [f"0 {methods[0]}: steps 1-{ends[0]}", f"1 {methods[1]}: steps {ends[0] + 1}-{ends[1]}"]
        assert [lines[start].removeprefix("phases").strip(), lines[start + 1]] == expected


def test_show_tells_an_interrupted_run_a_dead_one_and_a_running_one(tmp_path):
    short = ["--set", "run.steps=40", "--set", "run.checkpoint_every=10", "--quiet"]
    env = {**os.environ, "PGDX_RAISE_SIGTERM_AT_STEP": "15"}
    stopped = subprocess.run([PGDX, "train", FIG3, *short, "--out", tmp_path / "int"], env=env, capture_output=True,
                             text=True, timeout=300)
    assert stopped.returncode == 0, stopped.stderr
    (interrupted,) = (tmp_path / "int").glob("*.h5")
    report = fields(show(interrupted).stdout)
    with h5py.File(interrupted, "r") as f:
        assert f.attrs["status"] == "interrupted"
        assert report["status"].startswith("interrupted")
        assert int(pairs(report["final"])["step"]) == f["history/step"][-1]
    assert "post-process" not in report  # not finished: nothing to draw yet

    env = {**os.environ, "PGDX_RAISE_SIGKILL_AT_STEP": "25"}
    killed = subprocess.run([PGDX, "train", FIG3, *short, "--out", tmp_path / "dead"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode != 0
    (partial,) = (tmp_path / "dead").glob("*.h5.partial")
    with h5py.File(partial, "r") as f:
        checkpoint_step = int(f["checkpoint/step"][0])
    result = show(partial)
    assert result.returncode == 0, result.stderr
    report = fields(result.stdout)
    assert report["status"].startswith("stopped: no process is running it")
    assert f"checkpoint at step {checkpoint_step}," in report["status"] and "last" in report

    # A process holding the run's lock (here this test, as a runner would) makes it a running run.
    lock = partial.with_name(partial.name.removesuffix(".partial") + ".lock")
    with open(lock, "w") as held:
        held.write("host testhost\npid 4242\nsince 2030-01-01T00:00:00Z\nmethod fcntl\n")
        held.flush()
        fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report = fields(show(partial).stdout)
    assert report["status"] == "running (host testhost, pid 4242, since 2030-01-01T00:00:00Z)"


def test_show_refuses_what_is_not_a_whole_pgdx_run_file_with_one_line_and_exit_2(fig3_run, tmp_path):
    path, _ = fig3_run
    text_file = tmp_path / "notes.h5"
    text_file.write_text("not HDF5\n")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3.0)
    flipped = tmp_path / "flipped.h5"
    shutil.copy(path, flipped)
    flip_bit(flipped, stored_offset(flipped, "history/train_loss"))
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    cases = {tmp_path / "missing.h5": "no such file", tmp_path: "is a directory", text_file: "not an HDF5 file",
             foreign: "not a pgdx run file", flipped: "corrupt: dataset /history/train_loss",
             truncated: ""}
    for bad, reason in cases.items():
        result = show(bad)
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and result.stdout == "", bad
        assert len(lines) == 1 and lines[0].startswith(f"pgdx: error: {bad}: ") and reason in lines[0], lines


# --- cmake --install -----------------------------------------------------------------------------

def test_an_installed_pgdx_runs_a_job_and_its_pgdx_post_draws_it(tmp_path):
    build_dir = pathlib.Path(os.environ.get("PGDX_BUILD_DIR", pathlib.Path(PGDX).parent))
    prefix = tmp_path / "prefix"
    installed = subprocess.run(["cmake", "--install", build_dir, "--prefix", prefix], capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stderr
    share = prefix / "share" / "pgdx"
    assert sorted(p.name for p in (share / "jobs").glob("*.toml")) == \
        sorted(p.name for p in (SOURCE_DIR / "jobs").glob("*.toml"))
    assert sorted(p.name for p in (share / "slurm").iterdir()) == \
        sorted(p.name for p in (SOURCE_DIR / "slurm").iterdir())
    assert (share / "python" / "postprocess" / "__main__.py").is_file()
    assert not (share / "python" / "postprocess" / "tests").exists()

    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run([prefix / "bin" / "pgdx", "train", share / "jobs" / "fig3_regression1d.toml",
                             "--set", "run.steps=4", "--out", "runs", "--quiet"], cwd=work, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    (path,) = (work / "runs").glob("*.h5")
    # The installed pgdx points at the installed entry point, not at this source tree.
    assert shlex.split(postprocess_line(result.stdout))[:3] == [str(prefix / "bin" / "pgdx-post"), "fig3", str(path)]
    # The installed package, marked so that its use shows, not this source tree's.
    with open(share / "python" / "postprocess" / "__init__.py", "a") as init:
        init.write('\nimport sys\nprint("installed copy", file=sys.stderr)\n')
    png = work / "fig3.png"
    drawn = run([prefix / "bin" / "pgdx-post", "fig3", "runs", "-o", png], cwd=work)
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stderr.splitlines() == ["installed copy"] and is_png(png)
