"""Runs every figure of the paper, draws it, and writes the claims report (scripts/reproduce).

Each figure is a list of jobs (a job file, the folder its runs go to under --out, overrides) and
the post-processing command that draws it. Runs go through `pgdx sweep` (a plain config is a
one-point sweep), which skips finished points: a second call only runs what is missing, then
redraws. With --slurm every job is submitted through scripts/submit_sweep and one job, dependent
on all of them, calls this script again with --draw-only.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
PGDX = pathlib.Path(os.environ.get("PGDX_BIN", ROOT / "build" / "pgdx"))  # tests point it at their build
PYTHON = "/usr/bin/python3"


@dataclasses.dataclass(frozen=True)
class Job:
    config: str                 # job file under jobs/
    folder: str                 # folder under --out
    overrides: tuple = ()       # --set key=value for every point


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str                   # postprocess subcommand
    full: tuple                 # Jobs at the paper's lengths
    quick: tuple                # shortened Jobs (minutes on 2 cores)
    draw_folders: tuple         # folders the figure is drawn from (the first also receives the PNG)


def fig3_variants(config: str, folder: str, extra: tuple = ()) -> tuple:
    """Fig. 3's four optimizers of one job file, named as `pgdx train` names them (scripts/demo)."""
    stem = config.removesuffix(".toml")
    variants = {"sgd": ("optimizer.name=sgd",), "lm_mu0.5": ("optimizer.name=lm", "optimizer.mu=0.5"),
                "lm_mu0.1": ("optimizer.name=lm", "optimizer.mu=0.1"), "gn": ("optimizer.name=gn",)}
    # A one-point sweep is named after its config file: each variant needs its own name.
    return tuple(Job(config, folder, v + extra + (f"run.name={stem}_{label}_seed0",)) for label, v in variants.items())


FIGURES = (
    Figure("fig1", (Job("fig1_mnist.toml", "fig1_mnist"),), (Job("smoke_fig1_mnist.toml", "fig1_mnist"),),
           ("fig1_mnist",)),
    Figure("fig3", fig3_variants("fig3_regression1d.toml", "fig3_regression1d"),  # seconds: quick runs it whole
           fig3_variants("fig3_regression1d.toml", "fig3_regression1d"), ("fig3_regression1d",)),
    Figure("fig4", (Job("fig4_pinn_poisson.toml", "fig4_pinn_poisson"),),
           (Job("smoke_fig4_pinn.toml", "fig4_pinn_poisson"),), ("fig4_pinn_poisson",)),
    Figure("fig5", (Job("fig5_modular_mlp.toml", "fig5_modular_mlp"),),
           (Job("smoke_fig5_modular_mlp.toml", "fig5_modular_mlp"),), ("fig5_modular_mlp",)),
    Figure("fig6", (Job("fig6_polynomial.toml", "fig6_polynomial"),),
           (Job("smoke_fig6_polynomial.toml", "fig6_polynomial"),), ("fig6_polynomial",)),
    Figure("fig7", (Job("fig7_mnist_switch.toml", "fig7_mnist_switch"),),
           (Job("smoke_fig7_mnist_switch.toml", "fig7_mnist_switch"),), ("fig7_mnist_switch",)),
    Figure("fig8", (Job("fig8_transformer.toml", "fig8_transformer"),),
           (Job("smoke_fig8_transformer.toml", "fig8_transformer"),), ("fig8_transformer",)),
    Figure("fig9", (Job("fig9_regression2d.toml", "fig9_regression2d"),),
           (Job("smoke_fig9_regression2d.toml", "fig9_regression2d"),), ("fig9_regression2d",)),
    # Fig. 10 has its own LM reading (jobs/fig10_mnist_losses.toml's header).
    Figure("fig10", (Job("fig10_mnist_losses.toml", "fig10_mnist_losses"),),
           (Job("smoke_fig10_mnist_losses.toml", "fig10_mnist_losses"),), ("fig10_mnist_losses",)),
    Figure("fig11", (Job("fig11_mnist_ce.toml", "fig11_mnist_ce"), Job("fig11_mnist_ce_ggn.toml", "fig11_mnist_ce")),
           (Job("smoke_fig11_mnist_ce.toml", "fig11_mnist_ce"),), ("fig11_mnist_ce",)),
    Figure("fig12", (Job("fig12_continuation.toml", "fig12_continuation"),),
           (Job("smoke_fig12_continuation.toml", "fig12_continuation"),), ("fig12_continuation", "fig8_transformer")),
    Figure("fig13", (Job("fig13_mnist_seeds.toml", "fig13_mnist_seeds"),
                     Job("fig13_mnist_switch_seeds.toml", "fig13_mnist_seeds")),
           (Job("smoke_fig13_mnist_seeds.toml", "fig13_mnist_seeds"),
            Job("smoke_fig13_mnist_switch_seeds.toml", "fig13_mnist_seeds")), ("fig13_mnist_seeds",)),
)


def jobs_once(figures) -> list:
    """(figure, its jobs that no earlier figure has) for each figure: a job two figures are drawn
    from (Fig. 1's, for Fig. 10) is planned, run and submitted once, under the first of them."""
    seen, result = set(), []
    for figure, jobs in figures:
        result.append((figure, tuple(j for j in jobs if j not in seen)))
        seen.update(jobs)
    return result


def sets(job: Job) -> list:
    return [arg for kv in job.overrides for arg in ("--set", kv)]


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, text=True, **kwargs)


def planned_seconds(job: Job, ranks: int) -> tuple:
    """(points, seconds of all points' runs on `ranks` ranks each) from `pgdx plan --points`."""
    out = run([PGDX, "plan", ROOT / "jobs" / job.config, *sets(job), "--ranks", ranks, "--points"],
              capture_output=True, check=True).stdout
    found = re.search(r"sweep_points=(\d+) sweep_seconds=([0-9.eE+-]+)", out)
    return int(found.group(1)), float(found.group(2))


def unfinished_points(job: Job, out: pathlib.Path) -> int:
    status = run([PGDX, "sweep", ROOT / "jobs" / job.config, *sets(job), "--status", "--out", out / job.folder],
                 capture_output=True, check=True).stdout
    return sum(1 for line in status.splitlines()
               if re.match(r"^\d+\s", line) and line.split()[1] not in ("completed", "diverged"))


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def print_plan(figures, out, ranks, slots, quick) -> dict:
    """Prints the plan; returns each job's count of unfinished points (what run_local runs)."""
    print(f"reproduce: plan ({'quick' if quick else 'paper lengths'}, {ranks} rank(s) per run, "
          f"{slots} run(s) at a time, rough rates of docs/performance.md)")
    total = 0.0
    unfinished = {}
    for figure, jobs in figures:
        if not jobs:
            print(f"  {figure:6s} drawn from the runs above")
            continue
        points = todo = 0
        seconds = 0.0
        for job in jobs:
            p, s = planned_seconds(job, ranks)
            unfinished[job] = unfinished_points(job, out)
            points, seconds, todo = points + p, seconds + s, todo + unfinished[job]
        total += seconds * (todo / points if points else 0)
        print(f"  {figure:6s} {points:3d} points, {todo:3d} to run, ≈ {duration(seconds)} of runs")
    print(f"  predicted wall for what is left ≈ {duration(total / slots)} "
          f"(a cluster: scripts/reproduce --slurm)")
    return unfinished


def run_local(figures, out, ranks, slots, unfinished) -> None:
    for figure, jobs in figures:
        for job in jobs:
            if unfinished[job] == 0:
                continue
            cmd = [PGDX, "sweep", ROOT / "jobs" / job.config, *sets(job), "--local", "-j", slots, "--ranks", ranks,
                   "--out", out / job.folder, "--quiet"]
            print(f"reproduce: {figure}: {shlex.join(str(c) for c in cmd[1:])}", flush=True)
            result = run(cmd)
            if result.returncode != 0:
                sys.exit(f"reproduce: {figure}: pgdx sweep exited {result.returncode}; fix it and run this again "
                         "(finished points are kept)")


def submit_slurm(figures, out, ranks, quick) -> None:
    job_ids = []
    for figure, jobs in figures:
        for job in jobs:
            cmd = [ROOT / "scripts" / "submit_sweep", ROOT / "jobs" / job.config, "--out", out / job.folder,
                   "--ranks", ranks, "--figure", figure, *sets(job)]
            result = run(cmd, capture_output=True)
            sys.stdout.write(result.stdout)
            if result.returncode != 0:
                sys.exit(f"reproduce: submit_sweep {job.config} failed: {result.stderr.strip()}")
            job_ids += re.findall(r"submitted array job (\S+):", result.stdout)
    draw = [PYTHON, ROOT / "scripts" / "reproduce.py", "--draw-only", "--out", out] + (["--quick"] if quick else [])
    dependency = ["--dependency=afterany:" + ":".join(job_ids)] if job_ids else []
    result = run(["sbatch", "--parsable", *dependency, "--job-name=pgdx-reproduce-draw", "--chdir", ROOT,
                  f"--output={out}/slurm-reproduce-draw-%j.out", "--wrap", shlex.join(str(c) for c in draw)],
                 capture_output=True)
    if result.returncode != 0:
        sys.exit(f"reproduce: sbatch of the drawing job failed: {result.stderr.strip()}")
    print(f"reproduce: submitted drawing job {result.stdout.strip()} (after {len(job_ids)} array job(s)); "
          f"figures and claims report will be in {out}")


def draw(figures, out) -> list:
    """Draws every figure whose folders hold runs; returns the PNGs written."""
    written = []
    for figure, jobs in figures:
        spec = next(f for f in FIGURES if f.name == figure)
        folders = [out / name for name in spec.draw_folders]
        if not any(folders[0].glob("*.h5")):
            print(f"reproduce: {figure}: no finished runs in {folders[0]}; not drawn")
            continue
        png = out / f"{figure}.png"
        # Reference folders (Fig. 12's Adam alone is Fig. 8's run) are used when they exist.
        folders = folders[:1] + [f for f in folders[1:] if any(f.glob("*.h5"))]
        result = run([PYTHON, "-m", "postprocess", figure, *folders, "-o", png],
                     capture_output=True)
        if result.returncode == 0:
            written.append(png)
        else:
            print(f"reproduce: {figure}: not drawn: {result.stderr.strip()}")
    return written


def write_claims(out) -> pathlib.Path | None:
    report = out / "claims.md"
    result = run([PYTHON, "-m", "postprocess", "claims", out, "-o", report], capture_output=True)
    if result.returncode != 0:
        print(f"reproduce: claims report not written: {result.stderr.strip()}")
        return None
    sys.stdout.write(result.stdout)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/reproduce", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shortened variants of every figure (minutes)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="run on this machine (the default)")
    where.add_argument("--slurm", action="store_true", help="submit every job to Slurm, and a drawing job after them")
    where.add_argument("--draw-only", action="store_true", help="only draw the figures and write the claims report")
    where.add_argument("--plan", action="store_true", help="only print the plan: points and predicted wall per figure")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="--local: runs at a time (default 1)")
    parser.add_argument("--ranks", type=int, default=2, help="MPI ranks per run (default 2)")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="output root (default runs/paper, or runs/paper-quick with --quick)")
    parser.add_argument("--only", default="", help="comma-separated figures to do (e.g. fig3,fig8); default all")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.ranks < 1:
        parser.error("-j and --ranks must be >= 1")
    out = (args.out or ROOT / "runs" / ("paper-quick" if args.quick else "paper")).resolve()
    wanted = [f for f in args.only.split(",") if f]
    unknown = sorted(set(wanted) - {f.name for f in FIGURES})
    if unknown:
        parser.error(f"--only: unknown figure(s) {', '.join(unknown)}")
    figures = [(f.name, f.quick if args.quick else f.full) for f in FIGURES if not wanted or f.name in wanted]
    if args.plan:  # reads what --out holds, writes nothing
        print_plan(jobs_once(figures), out, args.ranks, args.jobs, args.quick)
        return 0
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    if not args.draw_only:
        planned = jobs_once(figures)
        unfinished = print_plan(planned, out, args.ranks, args.jobs, args.quick)
        if args.slurm:
            submit_slurm(planned, out, args.ranks, args.quick)
            return 0
        run_local(planned, out, args.ranks, args.jobs, unfinished)
    pngs = draw(figures, out)
    report = write_claims(out)
    print(f"\nreproduce: finished in {duration(time.time() - start)}; in {out}:")
    for path in pngs + ([report] if report else []):
        print(f"  {path.relative_to(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
