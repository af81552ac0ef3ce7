"""The transformer smoke jobs (Figs. 8, 12): 50 Adam and 20 GGN-CG steps on 1, 2 and 4 ranks give
bitwise-equal histories (with optimizer.sample_block the sums over samples do not depend on the
split), the GGN-CG columns are recorded and consistent, and bad input gets one line and exit 2."""
import subprocess

import h5py
import numpy as np
import pytest

from conftest import SOURCE_DIR, run_pgdx

SMOKE = SOURCE_DIR / "jobs" / "smoke_fig8_transformer.toml"
VOLATILE = {"step_seconds"}


def history(path):
    with h5py.File(path, "r") as f:
        return {name: f["/history/" + name][:] for name in f["/history"] if name not in VOLATILE}


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    out = {}
    for ranks in (1, 2, 4):
        d = tmp_path_factory.mktemp(f"np{ranks}")
        run_pgdx(["sweep", SMOKE, "--local", "-j", "1", "--ranks", str(ranks), "--out", d], check=True)
        out[ranks] = {label: next(d.glob(f"*{label}*.h5")) for label in ("adam", "ggn")}
    return out


@pytest.mark.parametrize("label", ["adam", "ggn"])
def test_histories_are_bitwise_equal_on_1_2_and_4_ranks(smoke_runs, label):
    one = history(smoke_runs[1][label])
    for ranks in (2, 4):
        other = history(smoke_runs[ranks][label])
        assert sorted(other) == sorted(one)
        for name, values in one.items():
            assert np.array_equal(other[name], values, equal_nan=True), f"{label}, {ranks} ranks: {name}"
    with h5py.File(smoke_runs[4][label], "r") as f:
        assert f.attrs["ranks"] == 4 and f.attrs["status"] == "completed"


def test_ggn_cg_columns_are_recorded_and_consistent(smoke_runs):
    h = history(smoke_runs[1]["ggn"])
    assert list(h["step"]) == list(range(21))
    steps = slice(1, None)
    assert np.all(h["cg_iterations"][steps] >= 1) and np.all(h["cg_iterations"][steps] <= 30)
    assert h["cg_iterations"][0] == -1 and h["armijo_trials"][0] == -1
    assert set(h["cg_stop"][steps]) <= {0, 1, 2}
    # The accepted eta is eta0 = 1 halved (armijo_trials - 1) times.
    np.testing.assert_array_equal(h["lr"][steps], 0.5 ** (h["armijo_trials"][steps] - 1))
    assert np.all(h["model_decrease"][steps] > 0)
    # cg_stop 0 means the relative residual reached the tolerance.
    converged = h["cg_stop"][steps] == 0
    assert np.all(h["cg_residual"][steps][converged] <= 1e-6)
    # mu follows the log-linear schedule 1 -> 0.1 over 200 steps: mu(i) = 10^(-i/200).
    np.testing.assert_allclose(h["mu"][steps], 10.0 ** (-np.arange(20) / 200.0), rtol=1e-12)
    assert h["train_loss"][-1] < h["train_loss"][0]
    adam = history(smoke_runs[1]["adam"])
    assert "cg_iterations" not in adam
    # Linear warm-up over 10 steps: lr = 1e-3 * min(1, t/10).
    np.testing.assert_allclose(adam["lr"][1:], 1e-3 * np.minimum(1.0, np.arange(1, 51) / 10.0), rtol=1e-15)


@pytest.mark.parametrize("overrides, key", [
    (["task.name=\"regression1d\""], "model.kind"),
    (["model.kind=\"mlp\"", "model.activation=\"tanh\"", "model.layers=[4,8,15]"], "model.kind"),
    (["optimizer.name=\"ggn\"", "optimizer.solver=\"cg\"", "optimizer.cg_max_iterations=0"],
     "optimizer.cg_max_iterations"),
    (["optimizer.name=\"ggn\"", "optimizer.solver=\"cg\"", "optimizer.armijo_c=1.5"], "optimizer.armijo_c"),
    (["optimizer.name=\"ggn\""], "optimizer.name"),
    (["optimizer.name=\"lm\""], "optimizer.name"),
    (["model.heads=3"], "model.heads"),
])
def test_bad_input_gets_one_line_and_exit_2(tmp_path, overrides, key):
    single = tmp_path / "single.toml"  # the smoke job without its [sweep] table: one run
    single.write_text(SMOKE.read_text().split("[sweep]")[0])
    args = ["train", single, "--out", tmp_path / "out", "--quiet"]
    for kv in overrides:
        args += ["--set", kv]
    result = run_pgdx(args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"key '{key}'" in lines[0], result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_continuation_switches_from_ggn_cg_to_a_fresh_adam(tmp_path, smoke_runs):
    """jobs/smoke_fig12_continuation.toml: GGN-CG for 15 steps, then Adam whose warm-up starts
    again (fresh state); the CG columns stop at the switch; `postprocess fig12` draws it beside
    the smoke Adam run."""
    out = tmp_path / "fig12"
    run_pgdx(["train", SOURCE_DIR / "jobs" / "smoke_fig12_continuation.toml", "--out", out], ranks=2, check=True)
    (path,) = out.glob("*.h5")
    h = history(path)
    with h5py.File(path, "r") as f:
        assert list(f["/phases/end_step"][:]) == [15, 40]
        assert f.attrs["optimizer"] == "ggn+adam"
    assert list(h["step"]) == list(range(41))
    assert np.all(h["cg_iterations"][1:16] >= 1) and np.all(h["cg_iterations"][16:] == -1)
    assert np.all(np.isfinite(h["cg_residual"][1:16])) and np.all(np.isnan(h["cg_residual"][16:]))
    np.testing.assert_allclose(h["lr"][16:], 1e-3 * np.minimum(1.0, np.arange(1, 26) / 10.0), rtol=1e-15)
    figure = tmp_path / "fig12.png"
    drawn = subprocess.run(["/usr/bin/python3", "-m", "postprocess", "fig12", str(out),
                            str(smoke_runs[1]["adam"].parent), "-o", str(figure)],
                           cwd=SOURCE_DIR, capture_output=True, text=True, timeout=300)
    assert drawn.returncode == 0, drawn.stderr
    assert figure.stat().st_size > 10_000
