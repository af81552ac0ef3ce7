"""pgdx plan --ranks R: the LM/GN step cost model (docs/scaling.md) prints a per-step time with its
compute / solve / communication split for any rank count; a rank count below 1 is bad input."""
import re
import subprocess

import pytest

from conftest import FIG3, PGDX, SOURCE_DIR

MNIST = SOURCE_DIR / "jobs" / "fig1_mnist.toml"
STEP = re.compile(r"step model \((LM|GN), (\d+) ranks? .*\): ([0-9.e+]+) (µs|ms|s) per step = compute .* \+ solve .* "
                  r"\+ communication ")


def seconds(value, unit):
    return float(value) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def plan(*args):
    return subprocess.run([PGDX, "plan", *map(str, args)], capture_output=True, text=True)


@pytest.mark.skipif(not (SOURCE_DIR / "data" / "mnist").is_dir(), reason="MNIST digits not fetched (scripts/fetch_mnist.sh)")
def test_plan_of_the_mnist_job_on_64_ranks_prints_a_positive_step_time():
    result = plan("--ranks", 64, MNIST)
    assert result.returncode == 0, result.stderr
    match = STEP.search(result.stdout)
    assert match, result.stdout
    assert match.group(1) == "LM" and match.group(2) == "64"
    assert seconds(match.group(3), match.group(4)) > 0
    assert "block-cyclic on 8 × 8, block 64" in result.stdout


def test_the_model_follows_the_rank_count_and_the_threshold():
    """An LM job of N = 2 000 rows (Fig. 3's problem, widened): whole K on 1 rank, 1 × 2 and 2 × 2
    grids on 2 and 4, whole again when the threshold is above N."""
    big = ["--set", "model.layers=[1,300,300,1]", "--set", "task.points=2000", "--set", "optimizer.name=lm",
           "--set", "optimizer.solve_space=sample"]
    one = plan(FIG3, *big)
    assert one.returncode == 0, one.stderr
    assert "K whole)" in one.stdout and "communication 0 µs" in one.stdout
    assert "block-cyclic on 1 × 2" in plan("--ranks", 2, FIG3, *big).stdout
    assert "block-cyclic on 2 × 2" in plan("--ranks", 4, FIG3, *big).stdout
    whole = plan("--ranks", 4, FIG3, *big, "--set", "optimizer.gram_distributed_min_rows=4096").stdout
    assert "K whole on every rank" in whole
    times = [seconds(*STEP.search(plan("--ranks", r, FIG3, *big).stdout).group(3, 4)) for r in (1, 4)]
    assert times[1] < times[0]


@pytest.mark.parametrize("ranks", ["0", "-3"])
def test_ranks_below_one_is_bad_input_in_one_line(ranks):
    result = plan("--ranks", ranks, FIG3)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--ranks must be >= 1" in lines[0], result.stderr
    assert result.stdout == ""
