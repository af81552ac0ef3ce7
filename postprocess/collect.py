"""Sweep aggregation: one table row per run file, and seed bands (median, min, max over seeds).

A sweep writes one run file per grid point, named `<prefix>__key-value__key-value….h5`
(`pgdx sweep --list`). Every file's `config` attribute holds the full effective TOML, so
grouping uses `run.config`; the file name is only used to list which keys were swept.
"""
from __future__ import annotations

import csv
import math
import pathlib

import h5py
import numpy as np

from .runs import Run, RunFileError, load_runs

# Columns every row has, in this order; swept keys (from the file name) follow.
BASE_COLUMNS = ("file", "status", "optimizer", "seed", "mu", "lr", "steps_completed", "final_train_loss",
                "final_test_loss", "min_train_loss", "wall_seconds")
SEED_KEYS = ("run.seed", "seed")
NAN = float("nan")


def swept_keys(stem: str) -> dict:
    """{key: value} from a sweep file stem, e.g. 'p__optimizer.name-lm__run.seed-1' -> {'optimizer.name': 'lm', 'run.seed': '1'}.

    Keys are TOML dotted keys (no '-'), so the first '-' separates key and value; values may
    contain '-' themselves (negative numbers, '1e-3'). A stem without '__' has no swept keys.
    """
    keys = {}
    for part in stem.split("__")[1:]:
        key, sep, value = part.partition("-")
        if sep and key:
            keys[key] = value
    return keys


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return NAN


def _min_finite(values) -> float:
    """Smallest non-NaN value (NaN when there is none), without numpy's all-NaN warning."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.min()) if values.size else NAN


def _config_value(config: dict, dotted: str):
    """config['a']['b'] for 'a.b', or None when a level is missing."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def seed_of(run: Run):
    seed = run.attrs.get("seed", _config_value(run.config, "run.seed"))
    return seed


def row(run: Run) -> dict:
    """The table row of one run (see BASE_COLUMNS), plus its swept keys as string columns."""
    opt = run.config.get("optimizer", {})
    attrs = run.attrs
    steps = attrs.get("steps_completed")
    r = {
        "file": run.path.name,
        "status": run.status,
        "optimizer": run.optimizer,
        "seed": seed_of(run),
        "mu": _float(opt.get("mu", NAN)),
        "lr": _float(opt.get("lr", NAN)),
        "steps_completed": int(steps) if isinstance(steps, (int, np.integer)) else NAN,
        "final_train_loss": _float(attrs.get("final_train_loss", NAN)),
        "final_test_loss": _float(attrs.get("final_test_loss", NAN)),
        "min_train_loss": _min_finite(run.history.get("train_loss", [])),
        "wall_seconds": _float(attrs.get("wall_seconds", NAN)),
    }
    for key, value in swept_keys(run.path.name.removesuffix(".h5")).items():
        if key not in r:  # never let a swept key overwrite a base column
            r[key] = value
    return r


def collect(run_dir) -> list[dict]:
    """One row per finished run file (*.h5) of `run_dir`, sorted by file name; raises RunFileError."""
    return [row(run) for run in load_runs(run_dir)]


def columns(rows: list[dict]) -> list[str]:
    """BASE_COLUMNS, then every other key in order of first appearance."""
    cols = list(BASE_COLUMNS)
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # full precision; 'nan', 'inf'
    return str(value)


def write_csv(rows: list[dict], path) -> None:
    cols = columns(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(cols)
        for r in rows:
            writer.writerow([_csv_cell(r.get(c)) for c in cols])


def _column_array(values: list):
    """int64 if every value is an int, float64 if every value is a number (None -> NaN), else UTF-8 strings."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if present and all(v is None or (isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
                       for v in values):
        return np.asarray([NAN if v is None else v for v in values], dtype=np.float64)
    return np.asarray(["" if v is None else str(v) for v in values], dtype=object)


TABLE_FORMAT = "pgdx-table"


def write_hdf5(rows: list[dict], path) -> None:
    """The table as one dataset per column under /runs/ (strings: variable-length UTF-8).

    The column order is kept in the `/runs` attribute `columns` (newline-separated).
    """
    cols = columns(rows)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = TABLE_FORMAT  # so run loaders skip it when it sits among the runs
        group = f.create_group("runs")
        group.attrs["columns"] = "\n".join(cols)
        for c in cols:
            data = _column_array([r.get(c) for r in rows])
            if data.dtype == object:
                group.create_dataset(c, data=data, dtype=h5py.string_dtype("utf-8"))
            else:
                group.create_dataset(c, data=data)


def read_hdf5(path) -> list[dict]:
    """Rows back from a file of write_hdf5 (plain str / int / float values)."""
    with h5py.File(path, "r") as f:
        group = f["runs"]
        attr = group.attrs.get("columns", "")
        cols = [c for c in (attr.decode() if isinstance(attr, bytes) else attr).split("\n") if c] or list(group)
        data = {}
        for c in cols:
            ds = group[c]
            data[c] = list(ds.asstr()[()]) if h5py.check_string_dtype(ds.dtype) else ds[()].tolist()
    n = len(next(iter(data.values()))) if data else 0
    return [{c: data[c][i] for c in cols} for i in range(n)]


def write_tables(run_dir, out_csv) -> list[dict]:
    """`collect` CLI: OUT.csv and, next to it, OUT.h5 (same stem). Returns the rows."""
    rows = collect(run_dir)
    out_csv = pathlib.Path(out_csv)
    write_csv(rows, out_csv)
    write_hdf5(rows, out_csv.with_suffix(".h5"))
    return rows


# ---- seed bands -------------------------------------------------------------------------------

def group_value(run: Run, key: str):
    """The value a run is grouped by: 'optimizer'; 'mu' (LM only, None for other optimizers, where
    μ in the config is unused); else a dotted config key ('optimizer.lr') or a root attribute."""
    if key == "optimizer":
        return run.optimizer
    if key == "mu":
        return run.mu if run.optimizer == "lm" and not math.isnan(run.mu) else None
    value = _config_value(run.config, key)
    if value is None:
        value = run.attrs.get(key)
    return value if not isinstance(value, list) else tuple(value)


def group_bands(runs: list[Run], group_keys=("optimizer", "mu"), quantity="train_loss") -> list[dict]:
    """Runs grouped by `group_keys` (they should then differ only in seed), in first-seen order.

    Per group: {'key': {k: value}, 'runs': [Run], 'seeds': [seed], 'step': common steps (present in
    every run of the group), 'median' / 'min' / 'max': across seeds of history[quantity] at those steps}.
    Raises RunFileError when a run lacks /history/<quantity> or two runs of a group share a seed
    (they differ in a key that is not in group_keys).
    """
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        if quantity not in run.history or "step" not in run.history:
            raise RunFileError(f"{run.path}: no dataset /history/{quantity}")
        groups.setdefault(tuple(group_value(run, k) for k in group_keys), []).append(run)
    result = []
    for key, members in groups.items():
        seeds = [seed_of(r) for r in members]
        for i, s in enumerate(seeds):
            if s in seeds[:i]:
                other = members[seeds.index(s)]
                raise RunFileError(f"{members[i].path}: same seed {s} as {other.path.name} in group "
                                   f"{dict(zip(group_keys, key))}; group by the key they differ in")
        series = []
        for r in members:
            n = min(len(r.history["step"]), len(r.history[quantity]))
            series.append((np.asarray(r.history["step"][:n]), np.asarray(r.history[quantity][:n], dtype=float)))
        common = series[0][0]
        for steps, _ in series[1:]:
            common = np.intersect1d(common, steps)
        common = np.unique(common)
        values = np.empty((len(series), common.size))
        for i, (steps, ys) in enumerate(series):
            _, _, idx = np.intersect1d(common, steps, return_indices=True)
            values[i] = ys[idx]
        result.append({"key": dict(zip(group_keys, key)), "runs": members, "seeds": seeds, "step": common,
                       "median": np.median(values, axis=0), "min": values.min(axis=0),
                       "max": values.max(axis=0)})
    return result
