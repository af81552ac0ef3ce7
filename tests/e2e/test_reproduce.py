"""scripts/reproduce.py (what scripts/reproduce runs after building): the plan, the runs, the
figures and the claims report for a subset of figures; a second call runs nothing and redraws."""
import re
import subprocess

from conftest import SOURCE_DIR

REPRODUCE = ["/usr/bin/python3", str(SOURCE_DIR / "scripts" / "reproduce.py")]


def reproduce(*args):
    return subprocess.run([*REPRODUCE, *map(str, args)], capture_output=True, text=True, timeout=900)


def test_quick_reproduction_runs_draws_and_a_second_call_only_redraws(tmp_path):
    first = reproduce("--quick", "--only", "fig3,fig12", "--out", tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    # The plan: points per figure and what is left to run, before anything runs.
    assert re.search(r"fig3\s+4 points,\s+4 to run", first.stdout), first.stdout
    assert re.search(r"fig12\s+1 points,\s+1 to run", first.stdout), first.stdout
    assert "predicted wall" in first.stdout
    runs = sorted((tmp_path / "fig3_regression1d").glob("*.h5")) + sorted((tmp_path / "fig12_continuation").glob("*.h5"))
    assert [p.name for p in runs] == ["fig3_regression1d_gn_seed0.h5", "fig3_regression1d_lm_mu0.1_seed0.h5",
                                      "fig3_regression1d_lm_mu0.5_seed0.h5", "fig3_regression1d_sgd_seed0.h5",
                                      "smoke_fig12_continuation.h5"]
    for png in ("fig3.png", "fig12.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    report = (tmp_path / "claims.md").read_text()
    assert "fig3" in report
    stamps = {p: p.stat().st_mtime_ns for p in runs}
    second = reproduce("--quick", "--only", "fig3,fig12", "--out", tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"fig3\s+4 points,\s+0 to run", second.stdout) and "pgdx sweep" not in second.stdout
    assert " sweep " not in second.stdout.replace("--slurm", "")
    assert {p: p.stat().st_mtime_ns for p in runs} == stamps  # no run was touched
    assert (tmp_path / "fig3.png").stat().st_mtime_ns > 0 and "fig3.png" in second.stdout


def test_unknown_figure_is_refused_with_exit_2(tmp_path):
    result = reproduce("--only", "fig99", "--out", tmp_path)
    assert result.returncode == 2 and "fig99" in result.stderr


def test_plan_prints_points_and_wall_per_figure_and_writes_nothing(tmp_path):
    out = tmp_path / "never_written"
    result = reproduce("--plan", "--only", "fig3,fig9", "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"fig3\s+4 points,\s+4 to run, ≈ \S+ \S+ of runs", result.stdout), result.stdout
    assert re.search(r"fig9\s+4 points,\s+4 to run", result.stdout), result.stdout
    assert "predicted wall for what is left" in result.stdout
    assert not out.exists()  # --plan runs nothing, draws nothing, creates no folder
