"""`pgdx bench solve`: LAPACK on one rank and ScaLAPACK over all ranks solve the same SPD system;
the benchmark must agree with itself and refuse a grid that does not fit the ranks. No timing is
asserted (timings belong in bench/ and docs/performance.md)."""
import re

import pytest

from conftest import run_pgdx


def values(stdout):
    return dict(re.findall(r"^(\w+)=(\S+)", stdout, flags=re.MULTILINE))


@pytest.mark.parametrize("grid,shape", [("auto", "1x2"), ("2x1", "2x1"), ("1x2", "1x2")])
def test_scalapack_and_lapack_solutions_agree(grid, shape):
    result = run_pgdx(["bench", "solve", "--n", 300, "--block", 32, "--repeats", 1, "--grid", grid], ranks=2,
                      check=True)
    assert f"grid {shape}," in result.stdout
    assert re.search(r"^lapack\s+potrf seconds=", result.stdout, flags=re.MULTILINE)
    assert re.search(r"^scalapack\s+potrf seconds=", result.stdout, flags=re.MULTILINE)
    found = values(result.stdout)
    assert float(found["max_relative_difference"]) < 1e-12
    assert float(found["speedup_scalapack_over_lapack"]) > 0


def test_one_rank_times_lapack_alone():
    result = run_pgdx(["bench", "solve", "--n", 200, "--repeats", 1], ranks=1, check=True)
    assert "scalapack" not in result.stdout and "lapack    potrf" in result.stdout


@pytest.mark.parametrize("bad", [["--n", 100, "--grid", "3x1"], ["--n", 100, "--grid", "two"], ["--n", 0]])
def test_a_grid_or_size_that_cannot_be_used_is_bad_input(bad):
    result = run_pgdx(["bench", "solve", *map(str, bad)], ranks=2)
    assert result.returncode == 2
    assert "pgdx bench solve" in result.stderr
