"""The claim registry and how one claim is judged against a RUN_ROOT (docs/claims.md).

RUN_ROOT holds one folder per job, named after the job file's stem (`pgdx sweep jobs/fig5_modular_mlp.toml`
writes runs/fig5_modular_mlp/ without --out), or after the `--out runs/figN` of the job file's header
comment (fig5/), which is accepted too. A claim names the folders it needs (Need); each need is met
by the full jobs' folders or, failing those, by their smoke variants, which are shortened runs of a
reduced problem: their numbers are shown but never decide a claim of the paper.

A claim's evaluate(*runs, one list per need) returns an Outcome: holds True / False, or None when
the runs cannot decide, the measured values as text, and the runs it used. Runs still in progress
(NAME.h5.partial, or status `interrupted`: resumable) are evaluated on what they have recorded; the
verdict stands only if it can no longer change as they go on (Outcome.settled, e.g. a crossing that
one run has made and the other has not by a later step), else it is `undecided`.
"""
from __future__ import annotations

import dataclasses
import math
import pathlib
from typing import Callable

import numpy as np

from .. import measures
from ..collect import seed_of
from ..runs import Run, RunFileError, find_partial_runs, find_runs, load_partial_run, load_run

HOLDS, FAILS, NOT_RUN, UNDECIDED = "holds", "fails", "not run", "undecided"
IN_PROGRESS = ("running", "interrupted")


class NotRun(Exception):
    """The folder exists, but the runs a claim compares are not all in it (e.g. no GN run)."""


@dataclasses.dataclass(frozen=True)
class Need:
    """Runs of one kind: from the job folders `folders` (all that exist; the job stem first, then the
    header comment's --out name), else from `smoke`."""

    folders: tuple[str, ...]
    smoke: tuple[str, ...] = ()


@dataclasses.dataclass
class Outcome:
    holds: bool | None  # None: these runs cannot decide
    measured: str
    runs: list[Run]
    settled: bool = False  # the verdict no longer depends on how runs in progress go on


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str  # stable, e.g. fig3.gn_uniform_decay
    figure: int
    text: str  # what the paper says, shortly
    needs: tuple[Need, ...]
    evaluate: Callable[..., Outcome]


REGISTRY: list[Claim] = []


def claim(claim_id: str, text: str, *needs: Need):
    """Registers the decorated evaluate(*runs) as the claim `claim_id` ('fig<N>.<name>')."""
    def register(evaluate):
        figure = int(claim_id.split(".")[0].removeprefix("fig"))
        REGISTRY.append(Claim(claim_id, figure, text, needs, evaluate))
        return evaluate
    return register


def in_progress(run: Run) -> bool:
    return run.status in IN_PROGRESS


def planned_steps(run: Run):
    """run.steps of the config, or the sum of the phases' steps (None if neither is there)."""
    phases = run.config.get("phase")
    if isinstance(phases, list) and phases:
        return sum(int(p.get("steps", 0)) for p in phases)
    return run.config.get("run", {}).get("steps")


class RunRoot:
    """The job folders of RUN_ROOT, each loaded once (finished files checked whole, NAME.h5.partial
    files as they are now); any bad file is a RunFileError naming it."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        if not self.root.is_dir():
            raise RunFileError(f"{self.root}: no such directory")
        self._loaded: dict[str, list[Run]] = {}

    def folder(self, name: str) -> list[Run]:
        if name not in self._loaded:
            d = self.root / name
            runs = ([load_run(p) for p in find_runs(d)] + [load_partial_run(p) for p in find_partial_runs(d)]
                    if d.is_dir() else [])
            self._loaded[name] = runs
        return self._loaded[name]

    def runs_for(self, need: Need) -> tuple[list[Run], bool]:
        """(runs, shortened): every run of the need's full folders, else of its smoke folders; a run
        found in two of them (a copy or a link) counts once."""
        for folders, shortened in ((need.folders, False), (need.smoke, True)):
            runs = newest_per_name([r for name in folders for r in self.folder(name)])
            if runs:
                # scripts/reproduce --quick puts smoke jobs' runs in the full jobs' folders.
                return runs, shortened or any(from_smoke_job(r) for r in runs)
        return [], False

    def relative(self, run: Run) -> str:
        try:
            return str(run.path.relative_to(self.root))
        except ValueError:
            return str(run.path)


def from_smoke_job(run: Run) -> bool:
    """A run of a jobs/smoke_*.toml file: a reduced problem, wherever its file lies."""
    return pathlib.Path(str(run.attrs.get("config_file", ""))).name.startswith("smoke_")


def newest_per_name(runs: list[Run]) -> list[Run]:
    """One run per name: NAME.h5 and a NAME.h5.partial beside it are one run (a resumed one, or
    one started again), and so are copies in two folders; the one that got furthest counts."""
    best: dict[str, Run] = {}
    for run in runs:
        other = best.get(run.name)
        if other is None or last_step(run) > last_step(other):
            best[run.name] = run
    return [r for r in runs if best[r.name] is r]


def last_step(run: Run) -> int:
    steps = run.history.get("step", [])
    return int(steps[-1]) if len(steps) else -1


@dataclasses.dataclass
class Row:
    claim: Claim
    verdict: str
    measured: str = "-"
    note: str = ""
    files: tuple[str, ...] = ()

    def cells(self) -> dict:
        return {"figure": f"Fig. {self.claim.figure}", "claim": self.claim.id, "paper says": self.claim.text,
                "measured": self.measured, "verdict": self.verdict, "note": self.note,
                "run files": ", ".join(self.files) or "-"}


def judge(item: Claim, root: RunRoot) -> Row:
    """The report row of one claim."""
    lists, smoke = [], []
    for need in item.needs:
        runs, shortened = root.runs_for(need)
        if not runs:
            return Row(item, NOT_RUN, note=f"no run files in {' or '.join(need.folders)}")
        lists.append(runs)
        if shortened:
            smoke += [n for n in need.smoke if root.folder(n)] or sorted({root.relative(r).split("/")[0] for r in runs})
    try:
        outcome = item.evaluate(*lists)
    except NotRun as e:
        return Row(item, NOT_RUN, note=str(e))
    verdict = {True: HOLDS, False: FAILS, None: UNDECIDED}[outcome.holds]
    used = list({run.path: run for run in outcome.runs}.values())  # Run is a dataclass: not hashable
    note = ""
    running = [r for r in used if in_progress(r)]
    if smoke:
        verdict, note = UNDECIDED, f"shortened run ({', '.join(smoke)}): a reduced problem, cannot decide"
    elif running:
        where = "; ".join(f"{r.path.name} at step {last_step(r)} of {planned_steps(r) or '?'}"
                          + (", interrupted" if r.status == "interrupted" else "") for r in running)
        if outcome.settled or verdict == UNDECIDED:
            note = f"run in progress ({where})" + (", decided already" if verdict != UNDECIDED else "")
        else:
            verdict, note = UNDECIDED, f"run in progress ({where}): its end can change this"
    return Row(item, verdict, outcome.measured, note, tuple(root.relative(r) for r in used))


# ---- helpers shared by the figures' claims --------------------------------------------------------

def pick(runs: list[Run], wanted, what: str) -> Run:
    """The first run (in folder order) for which wanted(run) holds; NotRun naming `what` if none."""
    for run in runs:
        if wanted(run):
            return run
    raise NotRun(f"no {what} among the run files")


def optimizer_is(name: str):
    return lambda run: run.optimizer == name


def first_per(runs: list[Run], key, order=None) -> dict:
    """{key(run): the first run with that key}, in increasing order of key(run) (or of order(run)),
    e.g. one run per α: a folder may hold several seeds or repeats of a setting."""
    chosen = {}
    for run in sorted(runs, key=order or key):
        chosen.setdefault(key(run), run)
    return chosen


def decided(holds, text: str, runs) -> Outcome:
    """The Outcome of a comparison of crossings: once decided it cannot change (a crossing that has
    happened stays, one that has not by step N can only come later)."""
    return Outcome(holds, text, list(runs), settled=holds is not None)


def choose(runs: list[Run], wanted, what: str) -> list[Run]:
    """Every run for which wanted(run) holds; NotRun naming `what` if there is none."""
    chosen = [r for r in runs if wanted(r)]
    if not chosen:
        raise NotRun(f"no {what} among the run files")
    return chosen


def every(values) -> bool | None:
    """Three-valued and: False if any is False, else None if any is None, else True."""
    values = list(values)
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def finished(run: Run) -> bool:
    return not in_progress(run)


def crossing(run: Run, quantity: str, threshold: float, below: bool = False, after=None) -> measures.Bound:
    """When the history column first reaches the threshold (falls below it with below=True)."""
    return measures.crossing(run.history["step"], run.history[quantity], threshold, finished(run), below, after)


def grokking(run: Run, test_threshold: float, train_threshold: float = 0.99):
    """(train crossing, test crossing, delay) of a classification run: pgdx's grokking rule (first
    recorded step with train accuracy ≥ 0.99, test accuracy ≥ the threshold) from the history, so
    that it works for any threshold and for runs in progress."""
    train = crossing(run, "train_acc", train_threshold)
    test = crossing(run, "test_acc", test_threshold)
    return train, test, measures.delay(train, test)


def grows(values: list[measures.Bound], factor: float) -> bool | None:
    """Non-decreasing along the list (never = inf counts as the largest) and the last at least
    `factor` × the first (floored at one step, the record resolution); undefined values fail."""
    if any(math.isnan(v.value) and v.exact for v in values):
        return False
    steps = [measures.at_most(a, b) for a, b in zip(values, values[1:])]
    first = measures.Bound(max(values[0].value, 1.0), values[0].exact)
    return every(steps + [measures.at_most(first.times(factor), values[-1])])


def flat(values: list[measures.Bound], factor: float) -> bool | None:
    """All finite and largest / smallest ≤ factor (each floored at one step); None while any is
    only a lower bound that has not exceeded that already."""
    if any(v.exact and not math.isfinite(v.value) for v in values):
        return False
    known = [max(v.value, 1.0) for v in values if v.exact]
    # Known values never change and a lower bound only grows: either can settle a failure early.
    if known and (max(known) > factor * min(known)
                  or any(v.value > factor * min(known) for v in values if not v.exact and math.isfinite(v.value))):
        return False
    return True if len(known) == len(values) else None


def bounds_text(values: list[measures.Bound]) -> str:
    return ", ".join(v.text() for v in values)


def ratio(a: float, b: float) -> float:
    """a / b without an exception or a warning when b is 0 (±inf, or NaN for 0 / 0): a loss can
    reach exactly 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


def number(value: float) -> str:
    return f"{value + 0.0:.3g}"  # + 0.0: no '-0' for a slope of −0.0


def per_seed(runs: list[Run], evaluate_seed) -> Outcome:
    """evaluate_seed(runs of one seed) for every seed in the folders; the claim holds if it holds
    for every seed (the paper shows one seed; Fig. 13 says every statement holds for each)."""
    seeds: dict = {}
    for run in runs:
        seeds.setdefault(seed_of(run), []).append(run)
    outcomes, missing = {}, []
    for seed in sorted(seeds, key=str):
        try:
            outcomes[seed] = evaluate_seed(seeds[seed])
        except NotRun as e:
            missing.append(f"seed {seed}: {e}" if len(seeds) > 1 else str(e))
    if not outcomes:
        raise NotRun("; ".join(missing) or "no runs")
    values = [o.holds for o in outcomes.values()]
    if len(outcomes) == 1:
        (seed, only), = outcomes.items()
        measured = only.measured + (f" (seed {seed})" if seed not in (0, None) else "")
    else:
        measured = f"{sum(v is True for v in values)}/{len(values)} seeds hold; " + "; ".join(
            f"seed {s}: {o.measured}" for s, o in outcomes.items())
    holds = every(values)
    settled = all(o.settled for o in outcomes.values()) or any(
        o.holds is False and o.settled for o in outcomes.values())
    return Outcome(holds, measured, [r for o in outcomes.values() for r in o.runs], settled)
