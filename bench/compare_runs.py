#!/usr/bin/python3
"""Compares two folders of pgdx run files (bench/same_numbers.sh output) dataset by dataset.

Every HDF5 dataset of every run file must be equal bit for bit (NaN equal to NaN at the same
place), and every root attribute except those that record when, where or how long (wall time,
start time, commit, per-step seconds). Prints one line per difference and a summary; exits 1 if
anything differs, 0 if all is equal.

    /usr/bin/python3 bench/compare_runs.py BEFORE_DIR AFTER_DIR
"""
import pathlib
import sys

import h5py
import numpy as np

# Measured, not computed: they differ between any two runs.
VOLATILE_ATTRIBUTES = {"wall_seconds", "started_at", "git_commit", "pgdx_version", "config_file",
                       "resumed_from_step"}  # provenance: a resumed run equals an uninterrupted one otherwise
VOLATILE_DATASETS = {"/history/step_seconds", "/checkpoint/elapsed_seconds",
                     "/checkpoint/row_digests/history:step_seconds"}


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__("/" + name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def same_array(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return a.tobytes() == b.tobytes() or bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def compare_file(before, after):
    problems = []
    with h5py.File(before, "r") as fb, h5py.File(after, "r") as fa:
        db, da = datasets(fb), datasets(fa)
        for name in sorted(set(db) | set(da)):
            if name in VOLATILE_DATASETS:
                continue
            if name not in da:
                problems.append(f"{name}: missing after")
            elif name not in db:
                problems.append(f"{name}: new after")
            elif not same_array(db[name][()], da[name][()]):
                a, b = np.asarray(db[name][()]), np.asarray(da[name][()])
                detail = ""
                if a.shape == b.shape and a.dtype.kind == "f":
                    detail = f" (max |diff| {np.nanmax(np.abs(a - b)):.3e})"
                problems.append(f"{name}: differs{detail}")
        for key in sorted(set(fb.attrs) | set(fa.attrs)):
            if key in VOLATILE_ATTRIBUTES:
                continue
            if key not in fa.attrs or key not in fb.attrs:
                problems.append(f"attribute {key}: only {'before' if key in fb.attrs else 'after'}")
            elif not same_array(np.asarray(fb.attrs[key]), np.asarray(fa.attrs[key])):
                problems.append(f"attribute {key}: {fb.attrs[key]!r} -> {fa.attrs[key]!r}")
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    before, after = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    names_b = {p.relative_to(before) for p in before.rglob("*.h5")}
    names_a = {p.relative_to(after) for p in after.rglob("*.h5")}
    files = datasets_checked = 0
    bad = 0
    for rel in sorted(names_b | names_a):
        if rel not in names_a or rel not in names_b:
            print(f"{rel}: only in {'before' if rel in names_b else 'after'}")
            bad += 1
            continue
        files += 1
        problems = compare_file(before / rel, after / rel)
        with h5py.File(before / rel, "r") as f:
            datasets_checked += len(datasets(f))
        for p in problems:
            print(f"{rel}: {p}")
        bad += bool(problems)
    print(f"compare_runs: {files} files, {datasets_checked} datasets compared, {bad} file(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
