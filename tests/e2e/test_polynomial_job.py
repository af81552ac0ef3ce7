"""The Fig. 6 smoke job (polynomial teacher, committee model) on 1 and 2 ranks: the runs agree, and
the recorded losses and the train-ray subspace spectrum equal what numpy computes from the saved
parameters and data (an independent implementation of the committee model and of EXPERIMENTS.md §5)."""
import tomllib

import h5py
import numpy as np
import pytest

from conftest import SOURCE_DIR, run_pgdx

SMOKE = SOURCE_DIR / "jobs" / "smoke_fig6_polynomial.toml"


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    dirs = {}
    for ranks in (1, 2):
        dirs[ranks] = tmp_path_factory.mktemp(f"np{ranks}")
        run_pgdx(["sweep", SMOKE, "--local", "-j", "1", "--ranks", str(ranks), "--out", dirs[ranks], "--quiet"],
                 check=True)
    return dirs


def committee(theta, x, alpha, hidden, eps):
    """g = alpha/H sum_i phi(w_i.x/sqrt(D)), phi(z) = z + eps z^2/2; x is (n, D)."""
    w = theta.reshape(hidden, -1)
    h = x @ w.T / np.sqrt(x.shape[1])
    return alpha / hidden * (h + 0.5 * eps * h * h).sum(axis=1)


def test_two_ranks_agree_with_one(smoke_runs):
    names = sorted(p.name for p in smoke_runs[2].glob("*.h5"))
    assert len(names) == 4
    for name in names:
        with h5py.File(smoke_runs[2] / name) as two, h5py.File(smoke_runs[1] / name) as one:
            assert two.attrs["ranks"] == 2 and one.attrs["ranks"] == 1
            for key in ("history/train_loss", "history/test_loss", "subspace/fft_error_train",
                        "subspace/fft_error_test"):
                a, b = two[key][()], one[key][()]
                assert np.max(np.abs(a - b)) <= 1e-9 * np.max(np.abs(b)), (name, key)


def test_losses_and_train_ray_spectrum_match_numpy(smoke_runs):
    for path in sorted(smoke_runs[2].glob("*.h5")):
        with h5py.File(path) as f:
            config = tomllib.loads(f.attrs["config"])
            alpha, hidden = config["model"]["output_scale"], config["model"]["layers"][1]
            eps, m = config["model"]["activation_epsilon"], config["task"]["subspace_points"]
            x, y = f["data/train_x"][()], f["data/train_y"][()][:, 0]
            theta0, theta = f["init/params"][()], f["final/params"][()]
            assert f.attrs["task"] == "polynomial_teacher" and theta.size == hidden * x.shape[1]

            def g(points, params=theta):
                return committee(params, points, alpha, hidden, eps) - committee(theta0, points, alpha, hidden, eps)

            assert np.max(np.abs(g(x, theta0))) == 0.0  # centred: the model starts from zero
            # L = (1/P) 1/2 sum ((g - y)/alpha)^2 (loss.reduction = "mean", residual_scale = 1/alpha)
            expected = 0.5 * np.mean(((g(x) - y) / alpha) ** 2)
            assert f["history/train_loss"][-1] == pytest.approx(expected, rel=1e-10)
            # Train ray c x_0: the teacher is quadratic, so y(c x_0) = c^2 y_0.
            c = np.arange(m) / (m - 1)
            residual = c ** 2 * y[0] - g(c[:, None] * x[0][None, :])
            spectrum = np.abs(np.fft.fft(residual))[: m // 2 + 1] / m
            assert list(f["subspace/modes"][()]) == list(range(m // 2 + 1))
            assert list(f["subspace/step"][()]) == list(f["history/step"][()])
            np.testing.assert_allclose(f["subspace/fft_error_train"][-1], spectrum, rtol=1e-9, atol=1e-14)
            assert f["subspace/fft_error_test"][0].max() > 0.0
