"""`python3 -m postprocess claims RUN_ROOT [-o report.md]`: every quantified claim of the paper
(docs/claims.md) measured on the runs in RUN_ROOT's job folders, one row per claim with the
measured values, a verdict (holds / fails / undecided / not run) and the run files used.

One module per figure group registers its claims: spectral (Figs. 3, 9), pinn (Fig. 4), sweeps
(Figs. 5, 6), mnist_claims (Figs. 1, 7, 10, 13), cross_entropy (Fig. 11), transformer (Figs. 8, 12);
core holds the registry, the verdict rules and the helpers they share, ../measures.py the
measurables.
"""
from __future__ import annotations

import datetime
import pathlib
from collections import Counter

from ..panels import Table
from . import cross_entropy, mnist_claims, pinn, spectral, sweeps, transformer  # noqa: F401  (registration)
from .core import REGISTRY, Row, RunRoot, judge


def rows(run_root) -> list[Row]:
    """One row per registered claim, by figure; a bad run file raises RunFileError naming it."""
    root = RunRoot(run_root)
    return [judge(item, root) for item in sorted(REGISTRY, key=lambda c: c.figure)]


def summary(judged: list[Row]) -> str:
    counts = Counter(row.verdict for row in judged)
    return ", ".join(f"{counts[v]} {v}" for v in ("holds", "fails", "undecided", "not run"))


def report(run_root, out_md=None) -> Table:
    """The claims table of RUN_ROOT; with out_md also written there as Markdown under a header line
    naming RUN_ROOT and the date. Returns the table, which the CLI prints."""
    judged = rows(run_root)
    table = Table(row.cells() for row in judged)
    if out_md is not None:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        header = f"# Paper claims checked against {pathlib.Path(run_root).resolve()} ({now})"
        text = "\n".join([header, "", f"{len(judged)} claims: {summary(judged)}.", "", *table.lines()]) + "\n"
        pathlib.Path(out_md).write_text(text, encoding="utf-8")
    return table
