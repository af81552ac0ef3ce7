"""Mutated job files: 1 000 seeded mutations of the repository's job files (values of the wrong
type or out of range, typos, deleted and duplicated lines, moved tables, truncated or garbled text,
bad --set overrides). Every one must end with exit 0 or 2 — on 2 with exactly one line naming
the file — never a crash; and a run of a mutated file that validates must not leave a .partial
file behind. Prints the counts."""
import os
import pathlib
import random
import subprocess

import pytest

from conftest import PGDX, SOURCE_DIR

JOBS = sorted((SOURCE_DIR / "jobs").glob("*.toml"))
MUTATIONS = 1000
TRAINED = 25  # mutated files that validate and are cheap to run are trained for a few steps

VALUES = ['"x"', "-1", "0", "1e308", "-1e-308", "nan", "inf", "[]", "[0]", "[1, 2, 3]", "true", "{}", '""',
          "3.5", "99999999999", '"lm"', '"mean"', "[[1, 1]]", "2", "1"]


def mutate(text, rng):
    lines = text.splitlines()
    kind = rng.randrange(9)
    keyed = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
    tables = [i for i, line in enumerate(lines) if line.strip().startswith("[")]
    if kind == 0 and keyed:  # a value of another type or range
        i = rng.choice(keyed)
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {rng.choice(VALUES)}"
    elif kind == 1 and keyed:  # a typo in a key
        i = rng.choice(keyed)
        key, rest = lines[i].split("=", 1)
        pos = rng.randrange(max(1, len(key.strip())))
        typo = key.strip()[:pos] + rng.choice("xz_") + key.strip()[pos + 1:]
        lines[i] = f"{typo} ={rest}"
    elif kind == 2 and lines:  # a line deleted
        del lines[rng.randrange(len(lines))]
    elif kind == 3 and keyed:  # a line duplicated (TOML: redefinition)
        i = rng.choice(keyed)
        lines.insert(i, lines[i])
    elif kind == 4 and tables:  # a table header renamed or moved
        i = rng.choice(tables)
        lines[i] = rng.choice(["[runn]", "[optimizer.extra]", "[[phase]]", "[task]", "[sweep]", "[model", "[]"])
    elif kind == 5:  # truncated anywhere
        return text[: rng.randrange(len(text) + 1)], []
    elif kind == 6:  # garbled bytes
        chars = list(text)
        for _ in range(rng.randrange(1, 6)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice("=[]\"'{}#\\\n\x00é"))
        return "".join(chars), []
    elif kind == 7:  # an unknown key in a known table
        lines.append(rng.choice(["[run]", "[model]", "[optimizer]", "[loss]"]))
        lines.append(f"mystery_{rng.randrange(100)} = {rng.choice(VALUES)}")
    else:  # a bad --set
        key = rng.choice(["optimizer.lr", "run.steps", "task.points", "model.layers", "nope", "run.seed",
                          "optimizer.name", "loss.reduction", "optimizer.gram_block"])
        return text, ["--set", f"{key}={rng.choice(VALUES + ['', '=', 'a=b'])}"]
    return "\n".join(lines) + "\n", []


def cheap(job):
    """Jobs small enough to train for a few steps inside a test (the full MNIST and Fig. 5 sizes are not)."""
    return job.name.startswith("smoke_") or not any(word in job.name for word in ("mnist", "modular"))


def test_a_thousand_mutated_job_files_end_with_exit_0_or_2_and_one_line(tmp_path):
    rng = random.Random(20261203)
    counts = {"mutations": 0, "exit_0": 0, "exit_2": 0, "one_line": 0, "trained": 0, "partial_left": 0,
              "crashes": 0}
    failures = []
    for k in range(MUTATIONS):
        job = rng.choice(JOBS)
        text, extra = mutate(job.read_text(), rng)
        path = tmp_path / f"m{k}_{job.name}"
        path.write_text(text, errors="surrogateescape")
        result = subprocess.run([PGDX, "sweep", str(path), "--count", *extra], capture_output=True, text=True,
                                timeout=60, errors="replace")
        counts["mutations"] += 1
        if result.returncode == 0:
            counts["exit_0"] += 1
        elif result.returncode == 2:
            counts["exit_2"] += 1
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            if len(lines) == 1 and lines[0].startswith("pgdx: error:") and (path.name in lines[0] or extra):
                counts["one_line"] += 1
            else:
                failures.append((path.name, extra, result.stderr))
        else:
            counts["crashes"] += 1
            failures.append((path.name, extra, f"exit {result.returncode}: {result.stderr[-500:]}"))
            continue
        if result.returncode == 0 and counts["trained"] < TRAINED and cheap(job):
            out = tmp_path / f"out{k}"
            command = ["sweep", str(path), "--task-id", "0"] if "[sweep]" in text else ["train", str(path)]
            run = subprocess.run([PGDX, *command, *extra, "--set", "run.steps=3", "--out", str(out), "--quiet"],
                                 capture_output=True, text=True, timeout=120, errors="replace")
            counts["trained"] += 1
            if run.returncode not in (0, 2):
                counts["crashes"] += 1
                failures.append((path.name, extra, f"train exit {run.returncode}: {run.stderr[-500:]}"))
            if list(out.glob("*.partial")):
                counts["partial_left"] += 1
                failures.append((path.name, extra, "a .partial file was left"))
    print(f"config fuzz: {counts}")
    assert not failures, failures[:5]
    assert counts["mutations"] >= 1000 and counts["exit_2"] > 500 and counts["trained"] >= 20
