"""Synthetic MNIST run files (Figs. 1, 7, 10, 13; Fig. 11 with cross-entropy) in the layout pgdx writes for
the mnist task.

Accuracies follow smooth rises in log(step) whose midpoints depend on optimizer, α and seed, so
every curve and table row differs; the grokking root attributes are computed from those
histories with the C++ rule (src/run/grokking.cpp), so each file is self-consistent.
"""
import h5py
import numpy as np

from conftest import _write

GROKKING_THRESHOLD = 0.8
FIT_LOSS = 0.02  # falling_losses: the train MSE at the fit
# Log-step midpoints of the train / test accuracy rise at α = 8 and the test plateau: every
# optimizer's curves differ, LM generalises first but lowest, SGD never reaches 99 % train accuracy.
MNIST_PROFILE = {"sgd": (3000.0, 6000.0, 0.9), "adam": (40.0, 800.0, 0.93), "adamw": (60.0, 400.0, 0.96),
                 "lm": (6.0, 20.0, 0.85)}
MNIST_LR = {"sgd": 1e-4, "adam": 1e-3, "adamw": 1e-3, "lm": 1e-4}


def log_schedule(steps):
    """pgdx's record_schedule = 'log': every step to 30, every 10 to 150, then log-spaced, and the last."""
    late = np.unique(np.round(np.geomspace(150, steps, 60))) if steps > 150 else []
    all_steps = np.r_[np.arange(min(steps, 30) + 1), np.arange(40, min(steps, 150) + 1, 10), late, steps]
    return np.unique(all_steps).astype(np.int64)


def _rise(step, mid, width=0.3):
    """0 → 1 in log(step), half-way at `mid`."""
    return 1.0 / (1.0 + np.exp(-(np.log(step + 1.0) - np.log(mid)) / width))


def first_step(step, values, threshold):
    """The grokking rule of the C++ code: first recorded step with values ≥ threshold, −1 if none."""
    hits = np.flatnonzero(values >= threshold)
    return int(step[hits[0]]) if hits.size else -1


def mnist_history(optimizer, alpha, seed, step):
    """(train_acc, test_acc, weight_norm) of a pure run: larger α delays generalisation, as in Fig. 1."""
    train_mid, test_mid, plateau = MNIST_PROFILE[optimizer]
    jitter = 1.0 + 0.07 * seed
    train = 0.1 + 0.9 * _rise(step, train_mid * (alpha / 8.0) ** 0.3 * jitter)
    test = 0.1 + (plateau - 0.02 * seed - 0.1) * _rise(step, test_mid * alpha / 8.0 * jitter)
    t = step / max(step[-1], 1)
    w0 = 20.0 * alpha * (1.0 + 0.01 * seed)
    norm = {"sgd": w0 * (1.0 + 1e-3 * t), "adam": w0 * (1.0 + 0.2 * t), "adamw": w0 * np.exp(-2.0 * t),
            "lm": w0 * (1.0 + 0.02 * _rise(step, 10.0))}[optimizer]
    return train, test, norm


def accuracy_losses(train, test):
    """The default MSE curves: the errors' mirror images, the test loss a little higher."""
    return {"train_loss": 0.5 * (1.0 - train) + 0.01, "test_loss": 0.5 * (1.0 - test) + 0.02}


def falling_losses(step, train, test, fall):
    """Fig. 10's MSE curves: the train loss falls with the accuracy until the fit (the first step with
    train accuracy ≥ 0.99), is FIT_LOSS there and then keeps falling geometrically in step to exactly
    `fall` × FIT_LOSS at the last step, while the accuracies hardly move; the test loss stays above it
    by the test error. Without a fit the default losses are returned."""
    fit = first_step(step, train, 0.99)
    if fit < 0:
        return accuracy_losses(train, test)
    after = np.clip((step - fit) / max(step[-1] - fit, 1), 0.0, 1.0)
    train_loss = np.where(step < fit, FIT_LOSS + 0.5 * (1.0 - train), FIT_LOSS * fall ** after)
    return {"train_loss": train_loss, "test_loss": train_loss + 0.1 * (1.0 - test)}


def mnist_config(optimizer, alpha, seed, steps, switch=None, lr=MNIST_LR, weight_decay=None,
                 loss="reduction = 'elementwise_mean'\n", layers="[ 784, 250, 10 ]", threshold=GROKKING_THRESHOLD,
                 per_class=1):
    """Effective-config TOML as pgdx writes it; a switching run has [[phase]] tables instead of a name.
    Defaults: Fig. 1's MSE runs, weight decay only for AdamW; `loss` is the body of the [loss] table."""
    def opt_keys(name):
        decay = weight_decay if weight_decay is not None else 0.1 if name == "adamw" else None
        return f"lr = {lr[name]!r}\nname = '{name}'\n" + (f"weight_decay = {decay!r}\n" if decay is not None else "")
    text = (f"[loss]\n{loss}\n[model]\nactivation = 'relu'\n"
            f"init_scale = {float(alpha)!r}\nlayers = {layers}\n\n")
    if switch is None:
        text += f"[optimizer]\nbeta1 = 0.9\n{opt_keys(optimizer)}\n"
    else:
        text += "[optimizer]\nbeta1 = 0.9\nmu_scale = 'sum'\n\n"
    text += (f"[run]\ngrokking_test_accuracy = {threshold!r}\nrecord_schedule = 'log'\nseed = {seed}\n"
             + (f"steps = {steps}\n" if switch is None else "")
             + f"\n[task]\nname = 'mnist'\ntrain_per_class = {per_class}\n")
    if switch is not None:
        for name, length in zip(optimizer.split("+"), (switch, steps - switch)):
            text += f"\n[[phase]]\nsteps = {length}\n\n    [phase.optimizer]\n" + "".join(
                "    " + line + "\n" for line in opt_keys(name).splitlines())
    return text


def make_mnist_file(path, optimizer="adamw", alpha=8.0, seed=0, steps=2000, switch=None, status="completed",
                    phases=True, loss_fall=None):
    """An mnist run file (Figs. 1, 7, 13): accuracies from mnist_history, losses from them, and the
    grokking root attributes computed from those histories by the C++ rule. optimizer 'lm+adamw'
    with switch=S is LM for S steps then AdamW: the test accuracy climbs after S to AdamW's level.
    loss_fall=F (Fig. 10): the losses of falling_losses, the train loss falling by F after the fit."""
    step = log_schedule(steps)
    if switch is None:
        train, test, norm = mnist_history(optimizer, alpha, seed, step)
        phase = {}
    else:
        train, test, norm = mnist_history("lm", alpha, seed, step)
        after = np.clip(step - switch, 0, None)
        boost = 1.0 - np.exp(-after / (50.0 * (1.0 + 0.1 * seed)))
        test = test + (0.97 - 0.01 * seed - test) * boost
        norm = norm * np.exp(-1.5 * after / steps)
        phase = {"phase": (step > switch).astype(np.int64)}
    losses = accuracy_losses(train, test) if loss_fall is None else falling_losses(step, train, test, loss_fall)
    history = {"step": step, "train_acc": train, "test_acc": test, "weight_norm": norm, **losses, **phase}
    fixed = {"data/train_x": np.zeros((10, 784)), "data/train_y": np.eye(10)}
    if switch is not None and phases:
        fixed["phases/end_step"] = np.array([switch, steps], dtype=np.int64)
    config = mnist_config(optimizer, alpha, seed, steps, switch)
    path = _write(path, "mnist", optimizer, 0.01, seed, status, steps, config, history, fixed,
                  lr=MNIST_LR.get(optimizer, 1e-3))
    return write_grokking_attrs(path, history, GROKKING_THRESHOLD, num_outputs=10)


def write_grokking_attrs(path, history, threshold, num_outputs):
    """The root attributes pgdx adds to a classification run, computed from its `history` with the
    C++ rule: final accuracies and test loss, first steps at 99 % train / `threshold` test accuracy."""
    step, train, test = history["step"], history["train_acc"], history["test_acc"]
    train_step = first_step(step, train, 0.99)
    test_step = first_step(step, test, threshold)
    with h5py.File(path, "r+") as f:
        f.attrs["num_outputs"] = np.int64(num_outputs)
        f.attrs["final_test_loss"] = np.float64(history["test_loss"][-1])
        f.attrs["final_train_acc"] = np.float64(train[-1])
        f.attrs["final_test_acc"] = np.float64(test[-1])
        f.attrs["test_acc_threshold"] = np.float64(threshold)
        f.attrs["train_acc_99_step"] = np.int64(train_step)
        f.attrs["test_acc_threshold_step"] = np.int64(test_step)
        f.attrs["grokking_delay"] = np.int64(test_step - train_step if min(train_step, test_step) >= 0 else -1)
    return path


CE_THRESHOLD = 0.7  # jobs/fig11_mnist_ce.toml's run.grokking_test_accuracy
CE_LR = {"sgd": 1e-3, "adam": 1e-3, "ggn": 1e-2}
# Steps at which the training set is fitted and at which the test accuracy jumps from its ≈ 55 %
# plateau to ≈ 75 % as the weight norm decays (EXPERIMENTS.md §8); GGN fits first.
CE_PROFILE = {"sgd": (300.0, 30000.0), "adam": (20.0, 20000.0), "ggn": (3.0, 8000.0)}


def ce_history(optimizer, seed, step):
    """Fig. 11's histories: accuracies, weight norm and a cross-entropy that starts at ≈ 4·10⁵ (α = 100)
    and falls to exactly 0 (machine zero: log(1 + x) of the other classes' x < 1e-16 is 0 in double)."""
    fit, jump = (value * (1.0 + 0.1 * seed) for value in CE_PROFILE[optimizer])
    train = 0.1 + 0.9 * _rise(step, fit)
    test = 0.1 + 0.45 * _rise(step, 1.5 * fit) + 0.2 * _rise(step, jump)
    norm = 850.0 * (1.0 + 0.01 * seed) * (0.3 + 0.7 * (1.0 - _rise(step, 0.8 * jump)))
    return {"step": step, "train_acc": train, "test_acc": test, "weight_norm": norm,
            "train_loss": np.where(step < 2.0 * fit, 4e5 * np.exp(-20.0 * step / fit) + 2e-16, 0.0),
            "test_loss": 1.5 - 0.7 * _rise(step, jump) + 4e5 * np.exp(-5.0 * step / fit)}


def make_ce_mnist_file(path, optimizer="sgd", seed=0, steps=100000, status="completed", kind="cross_entropy"):
    """An mnist run file of jobs/fig11_mnist_ce.toml (784-200-200-10, α = 100, 20 digits per class,
    weight decay 0.01) with ce_history(); kind='mse' is the same run with pgdx's other loss."""
    history = ce_history(optimizer, seed, log_schedule(steps))
    fixed = {"data/train_x": np.zeros((200, 784)), "data/train_y": np.eye(10)[np.arange(200) % 10]}
    config = mnist_config(optimizer, 100.0, seed, steps, lr=CE_LR, weight_decay=0.01,
                          loss=f"kind = '{kind}'\nreduction = 'mean'\n", layers="[ 784, 200, 200, 10 ]",
                          threshold=CE_THRESHOLD, per_class=20)
    path = _write(path, "mnist", optimizer, 1.0, seed, status, steps, config, history, fixed, lr=CE_LR[optimizer],
                  num_params=199210)
    return write_grokking_attrs(path, history, CE_THRESHOLD, num_outputs=10)
