import pathlib
import subprocess
import sys

from postprocess import fig3_spectral
from postprocess.runs import load_runs

REPO = pathlib.Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "postprocess", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True)


def test_panels_are_ordered_and_titled_like_the_paper(demo_like_dir):
    fig, titles = fig3_spectral.figure(load_runs(demo_like_dir))
    assert titles == ["SGD", "LM μ=0.5", "LM μ=0.1", "GN (ε=1e-06·λmax)"]
    axes = fig.axes
    assert all(ax.get_yscale() == "log" for ax in axes)
    assert len(axes[0].get_lines()) == 11  # ten modes + the loss
    assert axes[0].get_xlabel() == "iteration"


def test_cli_writes_a_png(demo_like_dir, tmp_path):
    out = tmp_path / "fig3.png"
    result = cli("fig3", demo_like_dir, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_cli_bad_folder_is_one_line_and_exit_2(tmp_path):
    result = cli("fig3", tmp_path / "missing", "-o", tmp_path / "x.png")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such directory" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_cli_corrupt_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "bad.h5").write_text("garbage")
    result = cli("fig3", tmp_path, "-o", tmp_path / "x.png")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "bad.h5" in result.stderr


def test_draws_real_pgdx_runs(pgdx_runs, tmp_path):
    titles = fig3_spectral.draw(pgdx_runs, tmp_path / "real.png")
    assert titles == ["SGD", "LM μ=0.1"]
