"""jobs/fig6_polynomial.toml's LM default: Table 5's one rate, 0.5·H, applied to the mean-loss gradient
as the paper's Eq. 6 writes it (η = 250 · 2/450 = 10/9 in pgdx's convention). A shortened run of
the real job (D = 100, H = 500, 450 points; 400 LM steps at α = 1 and α = 16) shows what the rate
serves: LM memorises within the run, its test loss makes half of its fall within a few times the
train loss's half-drop step, and its train-ray and (1, …, 1)-ray errors converge together
(`fig6.lm_rays_together`). With the old rate 1e-2 (the same curves, time × ~110) LM does not
memorise in 400 steps and the assertions fail (docs/grokking-study.md, "Fig. 6")."""
import sys
import tomllib

from conftest import SOURCE_DIR, run_pgdx

sys.path.insert(0, str(SOURCE_DIR))
from postprocess import fig6_polynomial, measures  # noqa: E402
from postprocess.claims import core, sweeps  # noqa: E402,F401  (sweeps registers the Fig. 6 claims)
from postprocess.runs import load_run  # noqa: E402

JOB = SOURCE_DIR / "jobs" / "fig6_polynomial.toml"
STEPS = 400


def lm_points():
    """The sweep indices of the job's LM points at α = 1 and α = 16."""
    listing = run_pgdx(["sweep", JOB, "--list"], check=True).stdout.splitlines()
    chosen = {}
    for line in listing:
        index, name = line.split()[:2]
        for label in ("a1", "a16"):
            if f"alpha-{label}__" in name and "optimizer-lm" in name:
                chosen[label] = int(index)
    assert set(chosen) == {"a1", "a16"}, listing
    return chosen


def test_the_jobs_lm_rate_is_table_5s_rate_on_the_mean_loss_gradient():
    job = tomllib.loads(JOB.read_text())
    lm = [o for o in job["sweep"]["optimizer"] if o["name"] == "lm"]
    assert len(lm) == 1 and abs(lm[0]["lr"] - 0.5 * 500 * 2 / 450) < 1e-12


def test_a_shortened_lm_run_memorises_and_its_rays_converge_together(tmp_path):
    out = tmp_path / "fig6_polynomial"
    for index in lm_points().values():
        run_pgdx(["sweep", JOB, "--task-id", index, "--out", out, "--set", f"run.steps={STEPS}", "--quiet"],
                 check=True)
    runs = [load_run(p) for p in sorted(out.glob("*.h5"))]
    assert len(runs) == 2
    for run in runs:  # memorised: the train loss fell below 1e-2 of its start within the run
        steps, train = fig6_polynomial.normalised(run, "train_loss")
        assert measures.first_crossing(steps, train, 1e-2, below=True) is not None, run.path.name
        halves = [measures.half_drop(*fig6_polynomial.normalised(run, q), True) for q in ("train_loss", "test_loss")]
        assert all(h.exact and h.value < STEPS for h in halves), (run.path.name, halves)
        assert halves[1].value <= 10 * max(halves[0].value, 1.0), (run.path.name, halves)
    outcome = {c.id: c for c in core.REGISTRY}["fig6.lm_rays_together"].evaluate(runs)
    assert outcome.holds is True, outcome.measured
