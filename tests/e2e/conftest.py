"""Shared fixtures for end-to-end tests of the pgdx executable (run by ctest, which sets the
environment: PGDX_BIN, PGDX_MPIEXEC, PGDX_SOURCE_DIR and the Open MPI variables)."""
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("PGDX_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
PGDX = os.environ.get("PGDX_BIN", str(SOURCE_DIR / "build" / "pgdx"))
MPIEXEC = os.environ.get("PGDX_MPIEXEC", "mpirun")
# Datasets that are timings, not results: they differ between any two runs of one config (the
# checkpoint's digest of the step timings with them).
VOLATILE = ("history/step_seconds", "checkpoint/elapsed_seconds", "checkpoint/row_digests/history:step_seconds")
FIG3 = SOURCE_DIR / "jobs" / "fig3_regression1d.toml"


def run_pgdx(args, ranks=None, check=False):
    """Runs pgdx (under mpirun when ranks is given) and returns the CompletedProcess."""
    cmd = [PGDX, *map(str, args)]
    if ranks is not None:
        cmd = [MPIEXEC, "-n", str(ranks), *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "runs"
    d.mkdir()
    return d
