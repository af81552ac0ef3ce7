"""Synthetic run files for Figs. 8 and 12: the transformer on modular addition as a token sequence
(task modular_addition_sequence), Adam, GGN-CG, and GGN for 3 000 steps then Adam ('ggn+adam'),
with every /history column pgdx writes for them (docs/hdf5-layout.md; the CG columns as
src/run/trainer.cpp records them: on every row of a run with a GGN-CG phase, −1 / NaN where no CG
step was taken).

Accuracies are fractions of the training / validation pairs (multiples of 1/n), so the train
accuracy reaches exactly 1.0. Adam fits the training set by step ~2 000 and reaches 99 % validation
accuracy only near step 6 000; GGN fits within ~130 steps but its validation accuracy stays at 95 %.
The phase run continues GGN's state with Adam: its validation loss jumps right after the switch
(largest SPIKE_AFTER steps after it) and its validation accuracy dips, then climbs to 100 % far
sooner than Adam alone's.
"""
import numpy as np

from conftest import _write
from mnist_builders import _rise, log_schedule, write_grokking_attrs

SWITCH = 3000
SPIKE_AFTER = 100  # steps from the switch to the top of the synthetic validation-loss spike
ADAM_LR, GGN_MU = 1e-3, 1e-3
# (train-accuracy midpoint, validation midpoint, validation plateau) in log(step), seed 0.
PROFILE = {"adam": (300.0, 1500.0, 1.0), "ggn": (20.0, 200.0, 0.95)}


def sizes(modulus, train_fraction=0.5):
    """(training pairs, validation pairs): floor(fraction · p²) and the rest."""
    n_train = int(train_fraction * modulus * modulus)
    return n_train, modulus * modulus - n_train


def fractions(values, n):
    """Accuracies as pgdx computes them: a whole number of the n samples."""
    return np.round(np.clip(values, 0.0, 1.0) * n) / n


def optimizer_keys(name):
    if name == "adam":
        return f"beta1 = 0.9\nbeta2 = 0.98\nlr = {ADAM_LR!r}\nname = 'adam'\nwarmup_steps = 10\n"
    return (f"armijo_c = 0.0001\narmijo_max_trials = 20\narmijo_shrink = 0.5\ncg_max_iterations = 50\n"
            f"cg_tolerance = 0.01\nlr = 1.0\nmu = {GGN_MU!r}\nname = 'ggn'\nsolver = 'cg'\n")


def transformer_config(optimizer, seed, steps, switch, modulus):
    """Effective-config TOML as pgdx writes it; a phase run has [[phase]] tables instead of a name."""
    text = ("[loss]\nkind = 'cross_entropy'\nreduction = 'mean'\n\n"
            "[model]\nheads = 4\nkind = 'transformer'\nlayers = 1\nwidth = 128\n\n")
    text += "[optimizer]\nmu_scale = 'sum'\n\n" if switch is not None else f"[optimizer]\n{optimizer_keys(optimizer)}\n"
    text += (f"[run]\ngrokking_test_accuracy = 0.99\nrecord_schedule = 'log'\nseed = {seed}\n"
             + (f"steps = {steps}\n" if switch is None else "")
             + f"\n[task]\nmodulus = {modulus}\nname = 'modular_addition_sequence'\ntrain_fraction = 0.5\n")
    if switch is not None:
        for name, length in zip(optimizer.split("+"), (switch, steps - switch)):
            text += f"\n[[phase]]\nsteps = {length}\n\n    [phase.optimizer]\n" + "".join(
                "    " + line + "\n" for line in optimizer_keys(name).splitlines())
    return text


def curves(optimizer, seed, step):
    """(train acc, validation acc, train loss, validation loss) of a pure run, before quantising."""
    train_mid, val_mid, plateau = PROFILE[optimizer]
    jitter = 1.0 + 0.1 * seed
    train, val = _rise(step, train_mid * jitter), plateau * _rise(step, val_mid * jitter)
    train_loss = 4.0 * (1.0 - train) + 1e-3 * (1.0 + 0.1 * seed) / (1.0 + step / 100.0)
    val_loss = 4.0 * (1.0 - val) + 0.02 + 0.01 * seed
    return train, val, train_loss, val_loss


def cg_columns(step, ggn_rows, seed):
    """The GGN-CG columns: values on the GGN rows (step > 0 there), −1 / NaN elsewhere."""
    rng = np.random.default_rng(100 + seed)
    trials = rng.integers(1, 4, step.size)
    iterations = np.minimum(50, 3 + np.round(4.0 * np.log1p(step))).astype(np.int64) + rng.integers(0, 3, step.size)
    stop = np.where(iterations >= 50, 1, 0)
    return {"cg_iterations": np.where(ggn_rows, iterations, -1).astype(np.int64),
            "cg_residual": np.where(ggn_rows, 10.0 ** rng.uniform(-3, -2, step.size), np.nan),
            "cg_stop": np.where(ggn_rows, stop, -1).astype(np.int64),
            "model_decrease": np.where(ggn_rows, 1.0 / (1.0 + step), np.nan),
            "armijo_trials": np.where(ggn_rows, trials, -1).astype(np.int64),
            "lr": np.where(ggn_rows, 0.5 ** (trials - 1), np.nan)}


def make_transformer_file(path, optimizer="adam", seed=0, steps=10000, switch=None, status="completed", modulus=23):
    """A modular_addition_sequence run file (Figs. 8, 12). optimizer 'ggn+adam' is GGN-CG for
    `switch` (default SWITCH) steps, then Adam from GGN's state."""
    if optimizer == "ggn+adam" and switch is None:
        switch = SWITCH
    step = log_schedule(steps)
    if switch is not None:
        step = np.union1d(step, [switch]).astype(np.int64)  # pgdx always records a switch step
    n_train, n_val = sizes(modulus)
    first = optimizer.split("+")[0]
    train, val, train_loss, val_loss = curves(first, seed, step)
    history, extra = {}, {}
    if switch is not None:
        after = np.clip(step - switch, 0, None)
        x = after / SPIKE_AFTER
        bump = x * np.exp(1.0 - x)  # 0 up to the switch, 1 at SPIKE_AFTER steps after it
        val = np.where(step > switch, val + (1.0 - val) * _rise(after, 600.0) - 0.2 * bump, val)
        val_loss = val_loss * np.where(step > switch, 1.0 - 0.9 * _rise(after, 600.0), 1.0) + 1.5 * bump
        train_loss = train_loss * (1.0 + 5.0 * bump)
        history["phase"] = (step > switch).astype(np.int64)
        extra["phases/end_step"] = np.array([switch, steps], dtype=np.int64)
    ggn_rows = (step > 0) & ((step <= switch) if switch is not None else (first == "ggn"))
    if "ggn" in optimizer.split("+"):
        history.update(cg_columns(step, ggn_rows, seed))
        history["lr"] = np.where(ggn_rows | (step == 0), history["lr"], ADAM_LR)
        history["mu"] = np.where(ggn_rows, GGN_MU, np.nan)
    else:
        history["lr"] = np.where(step > 0, ADAM_LR * np.minimum(1.0, step / 10.0), np.nan)
        history["mu"] = np.full(step.shape, np.nan)
    history.update({"step": step, "train_acc": fractions(train, n_train), "test_acc": fractions(val, n_val),
                    "train_loss": train_loss, "test_loss": val_loss})
    fixed = {"data/train_x": np.zeros((n_train, 4)), "data/train_y": np.zeros((n_train, modulus + 2)), **extra}
    path = _write(path, "modular_addition_sequence", optimizer, GGN_MU, seed, status, steps,
                  transformer_config(optimizer, seed, steps, switch, modulus), history, fixed, num_params=2000)
    return write_grokking_attrs(path, history, 0.99, num_outputs=modulus + 2)
