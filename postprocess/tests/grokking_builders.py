"""Synthetic run files for Figs. 5 and 6: modular addition with a quadratic MLP (the layout pgdx
writes for the modular_mlp task) and the polynomial teacher with its /subspace ray spectra
(docs/hdf5-layout.md), at the full jobs' sizes, which the smoke runs of the binary are far from.

Curves rise or fall smoothly in log(step) at a pace set by optimizer, scale and seed, so every
curve and table row differs; the grokking attributes and the ray spectra are computed from the
histories and residuals with the layout's own definitions, so each file is self-consistent.
"""
import h5py
import numpy as np

from conftest import _write
from mnist_builders import _rise, log_schedule, write_grokking_attrs

MODULAR_THRESHOLD = 0.9  # jobs/fig5_modular_mlp.toml's run.grokking_test_accuracy
MODULAR_MU = {0.5: 0.07, 1.0: 0.0125, 1.5: 0.005, 2.0: 0.0025}


def modular_config(optimizer, s, seed, steps, modulus=23, hidden=100):
    """Effective-config TOML of one jobs/fig5_modular_mlp.toml point: residual_scale = 1/s."""
    d = 2 * modulus
    return ("[loss]\nreduction = 'sum'\n" f"residual_scale = {1.0 / s!r}\n\n"
            "[model]\nactivation = 'quadratic'\nbias = false\ninit = 'standard_normal'\n"
            f"layers = [ {d}, {hidden}, {modulus} ]\noutput_scale = {s * s / (d * hidden)!r}\n\n"
            f"[optimizer]\ndamping = 'constant'\nlr = {0.01 / (s * s)!r}\nmu = {MODULAR_MU.get(s, 0.01)!r}\n"
            f"mu_scale = 'sum'\nname = '{optimizer}'\nsolve_space = 'auto'\n\n"
            f"[run]\nbatch_size = 0\ngrokking_test_accuracy = {MODULAR_THRESHOLD!r}\nrecord_every = 1\n"
            f"seed = {seed}\nsteps = {steps}\n\n"
            f"[task]\nmodulus = {modulus}\nname = 'modular_mlp'\ntrain_fraction = 0.9\n")


def modular_history(optimizer, s, seed, step):
    """(train_acc, test_acc): SGD fits the training set early and generalises later the larger s
    (grokking for large s, reaching 90 % only for small s); LM does both early for every s."""
    jitter = 1.0 + 0.05 * seed
    if optimizer == "lm":
        train_mid, test_mid, plateau = 3.0 * jitter, 8.0 * (1.0 + 0.05 * s) * jitter, 0.98 - 0.005 * s
    else:
        train_mid, test_mid, plateau = 10.0 * s * jitter, 60.0 * s ** 2 * jitter, 0.99 - 0.06 * s
    train = 0.04 + 0.96 * _rise(step, train_mid)
    test = 0.04 + (plateau - 0.04) * _rise(step, test_mid)
    return train, test


def make_modular_file(path, optimizer="sgd", s=1.0, seed=0, steps=1000, status="completed"):
    """A modular_mlp run file (Fig. 5): every step recorded, losses from the accuracies on the scale
    of r = (f − y)/s, and the grokking root attributes computed from the histories."""
    step = np.arange(steps + 1, dtype=np.int64)
    train, test = modular_history(optimizer, s, seed, step)
    history = {"step": step, "train_acc": train, "test_acc": test,
               "train_loss": 238.0 / s ** 2 * (1.0 - train + 1e-3), "test_loss": 26.5 / s ** 2 * (1.0 - test + 1e-2)}
    fixed = {"data/train_x": np.zeros((476, 46)), "data/train_y": np.zeros((476, 23))}
    path = _write(path, "modular_mlp", optimizer, MODULAR_MU.get(s, 0.01), seed, status, steps,
                  modular_config(optimizer, s, seed, steps), history, fixed, lr=0.01 / s ** 2, num_params=6900)
    return write_grokking_attrs(path, history, MODULAR_THRESHOLD, num_outputs=23)


def polynomial_config(optimizer, alpha, seed, steps, m):
    return ("[loss]\nreduction = 'mean'\n\n"
            f"[model]\nkind = 'committee'\noutput_scale = {float(alpha)!r}\n\n"
            f"[optimizer]\nlr = {250.0 if optimizer == 'sgd' else 0.01!r}\nmu = {0.1 / alpha!r}\nmu_scale = 'sum'\n"
            f"name = '{optimizer}'\n\n"
            f"[run]\nbatch_size = 0\nrecord_schedule = 'log'\nseed = {seed}\nsteps = {steps}\n\n"
            f"[task]\nname = 'polynomial_teacher'\nsubspace_points = {m}\n")


def decay(step, time):
    """1 → 0 around `time` (in steps), smoothly in log(step)."""
    return 1.0 / (1.0 + (step / time) ** 2)


def polynomial_times(optimizer, alpha, seed):
    """(train time, test time) of the loss and ray-error drop: GD's test drop comes later the larger
    α (at α = 16 after the end of the run), LM's both early and nearly independent of α."""
    jitter = (1.0 + 0.1 * seed) * (1.0 + 0.03 * np.log2(alpha))
    if optimizer == "lm":
        return 5.0 * jitter, 9.0 * jitter
    return 100.0 * jitter, 300.0 * alpha ** 2 * jitter


def ray_spectrum(amplitude, coefficients, m):
    """e_k = (1/m)|DFT_k(r)|, k = 0 … m/2, of r_j = amplitude(t)·(p c_j + q c_j²), c_j = j/(m−1):
    on a ray g − y is quadratic in c, with coefficients that shrink as the model learns."""
    c = np.arange(m) / (m - 1)
    p, q = coefficients
    residual = np.outer(amplitude, p * c + q * c * c)
    return np.abs(np.fft.fft(residual, axis=1))[:, : m // 2 + 1] / m


def make_polynomial_file(path, optimizer="sgd", alpha=1.0, seed=0, steps=60000, m=128, status="completed",
                         subspace=("modes", "step", "fft_error_train", "fft_error_test")):
    """A polynomial_teacher run file (Fig. 6): losses on a log schedule, and
    /subspace/fft_error_{train,test} from ray_spectrum() at the history's steps. `subspace` lists
    the /subspace datasets to write (all by default)."""
    step = log_schedule(steps)
    train_time, test_time = polynomial_times(optimizer, alpha, seed)
    train_decay, test_decay = decay(step, train_time), decay(step, test_time)
    history = {"step": step, "train_loss": (2.0 + 0.1 * seed) * train_decay + 1e-6,
               "test_loss": (3.0 + 0.1 * seed) * test_decay + 1e-5}
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((450, 100))
    fixed = {"data/train_x": x, "data/train_y": ((x @ rng.standard_normal(100)) / 10.0)[:, None] ** 2}
    datasets = {"modes": np.arange(m // 2 + 1, dtype=np.int64), "step": step,
                "fft_error_train": ray_spectrum(train_decay, (0.3, -1.2 - 0.1 * seed), m),
                "fft_error_test": ray_spectrum(test_decay, (0.2, -2.5 - 0.1 * seed), m)}
    fixed.update({f"subspace/{name}": datasets[name] for name in subspace if name == "modes"})
    extendible = {f"subspace/{name}": datasets[name] for name in subspace if name != "modes"}
    path = _write(path, "polynomial_teacher", optimizer, 0.1 / alpha, seed, status, steps,
                  polynomial_config(optimizer, alpha, seed, steps, m), history, fixed, extendible,
                  lr=250.0 if optimizer == "sgd" else 0.01, num_params=50000)
    with h5py.File(path, "r+") as f:
        f.attrs["final_test_loss"] = np.float64(history["test_loss"][-1])
    return path
