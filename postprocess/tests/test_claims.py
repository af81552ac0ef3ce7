"""postprocess.measures, postprocess.claims and `python -m postprocess claims`, on synthetic run files
whose curves have known slopes, crossings, delays and plateaus."""
import datetime
import math
import pathlib
import re

import h5py
import numpy as np
import pytest

from conftest import REPO, assert_one_line_failure, cli, make_pinn_file, make_regression2d_file, make_run_file
from grokking_builders import make_modular_file, make_polynomial_file
from mnist_builders import log_schedule, make_ce_mnist_file, make_mnist_file
from postprocess import claims, measures
from postprocess.claims import core, spectral
from postprocess.measures import Bound
from postprocess.runs import load_run
from transformer_builders import make_transformer_file

LN_099 = math.log(0.99)  # ln(1 − η) for the builders' η = 0.01


def folder(root: pathlib.Path, name: str) -> pathlib.Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def overwrite(path, name: str, values, **attrs) -> None:
    """Replace a dataset's values in place (same shape), to give a curve a known form, and set the
    root attributes that repeat its last value (final_train_loss, …)."""
    with h5py.File(path, "r+") as f:
        f[name][...] = values
        for key, value in attrs.items():
            f.attrs[key] = value


def row(root, claim_id: str) -> core.Row:
    (item,) = [c for c in core.REGISTRY if c.id == claim_id]
    return core.judge(item, core.RunRoot(root))


def table(stdout: str) -> list[dict]:
    """The rows of the Markdown table in `stdout` (lines starting with '|')."""
    lines = [line for line in stdout.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    assert set(lines[1]) <= set("|-")
    return [dict(zip(cells[0], r)) for r in cells[2:]]


# ---- generic measurables ----------------------------------------------------------------------

def test_log_slope_of_an_exponential_on_a_log_schedule():
    steps = log_schedule(2000)
    values = 3.0 * 0.99 ** steps
    assert measures.log_slope(steps, values, 0, 2000) == pytest.approx(LN_099, rel=1e-12)
    assert measures.log_slope(steps, values, *measures.window(steps, 0.1, 0.5)) == pytest.approx(LN_099, rel=1e-12)
    with_holes = np.where(steps % 7 == 0, np.nan, values) * np.where(steps == 40, 0.0, 1.0)  # NaN, 0: left out
    assert measures.log_slope(steps, with_holes, 0, 2000) == pytest.approx(LN_099, rel=1e-12)
    assert math.isnan(measures.log_slope(steps, values, 5.5, 5.9))  # no record in the window
    assert measures.window([0, 10, 400], 0.25, 0.5) == (100.0, 200.0)


def test_first_crossing_step_of_a_threshold():
    steps = np.array([0, 10, 20, 40, 80])
    accuracy = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    assert measures.first_crossing(steps, accuracy, 0.5) == 40
    assert measures.first_crossing(steps, accuracy, 0.4) == 20  # reaching counts (≥)
    assert measures.first_crossing(steps, accuracy, 0.5, after=40) == 80
    assert measures.first_crossing(steps, accuracy, 0.9) is None
    loss = np.array([1.0, 0.5, 0.2, 0.1, 0.01])
    assert measures.first_crossing(steps, loss, 0.1, below=True) == 80  # falling below is strict
    assert measures.first_crossing(steps, accuracy[:3], 0.5) is None  # a column one row short


def test_crossing_bounds_and_the_delay_between_two_crossings():
    steps = np.array([0, 10, 20, 40, 80])
    train, test = np.array([0.1, 0.5, 0.995, 1.0, 1.0]), np.array([0.0, 0.1, 0.2, 0.85, 0.9])
    fit, rise = (measures.crossing(steps, v, t, finished=True) for v, t in ((train, 0.99), (test, 0.8)))
    assert (fit, rise) == (Bound(20.0), Bound(40.0)) and measures.delay(fit, rise) == Bound(20.0)
    never = measures.crossing(steps, test, 0.95, finished=True)
    not_yet = measures.crossing(steps, test, 0.95, finished=False)
    assert never == Bound(math.inf) and not_yet == Bound(81.0, exact=False)
    assert measures.delay(fit, never) == Bound(math.inf) and measures.delay(fit, not_yet) == Bound(61.0, exact=False)
    assert math.isnan(measures.delay(never, rise).value)  # no delay without the first crossing
    assert (never.text(), not_yet.text(), Bound(12.0).text()) == ("never", "> 81 so far", "12")


def test_half_drop_is_the_curves_own_half_way_step():
    steps = np.array([0, 10, 20, 40, 80])
    plateau = np.array([1.0, 0.9, 0.7, 0.6, 0.6])  # ends at 0.6: half-way is 0.8, reached at 20
    assert measures.half_drop(steps, plateau, finished=True) == Bound(20.0)
    assert measures.half_drop(steps, 4.0 * plateau, finished=True) == Bound(20.0)  # scale-free
    # In progress, the last value is only an upper bound on the final one: a lower bound on the step.
    assert measures.half_drop(steps[:2], plateau[:2], finished=False) == Bound(10.0, exact=False)  # final: 20
    rising = np.array([1.0, 1.2, 1.1, 1.3, 1.0])
    assert measures.half_drop(steps, rising, finished=True) == Bound(math.inf)
    assert measures.half_drop(steps, rising, finished=False) == Bound(81.0, exact=False)
    # The fixed threshold 0.5 never sees the plateau at 0.6 fall; the half-way step does.
    assert measures.crossing(steps, plateau, 0.5, finished=True, below=True) == Bound(math.inf)


@pytest.mark.parametrize("a, b, at_most, before", [
    (Bound(5.0), Bound(7.0), True, True), (Bound(7.0), Bound(7.0), True, False),
    (Bound(8.0), Bound(7.0), False, False), (Bound(5.0), Bound(7.0, exact=False), True, True),
    (Bound(9.0), Bound(7.0, exact=False), None, None), (Bound(7.0, exact=False), Bound(5.0), False, False),
    (Bound(3.0, exact=False), Bound(5.0), None, None), (Bound(math.inf), Bound(math.inf), True, False),
    (Bound(math.nan), Bound(5.0), None, None)])
def test_comparisons_decide_only_what_cannot_change(a, b, at_most, before):
    assert measures.at_most(a, b) is at_most and measures.before(a, b) is before


def test_plateau_and_decay_factor():
    steps = log_schedule(10000)
    values = np.where(steps >= 8000, 0.45, 0.9)
    values[-1] = 5.0  # one outlier: the median ignores it
    assert measures.plateau(steps, values, 0.2) == 0.45
    loss = 4.0 * np.exp(-0.01 * steps)
    assert measures.decay_factor(steps, loss, 100) == pytest.approx(math.exp(-1.0), rel=1e-12)
    assert measures.value_at(steps, loss, 155) == loss[steps == 150][0]  # the last record at or before


def test_scale_sweep_comparisons():
    exact = [Bound(14.0), Bound(125.0), Bound(math.inf)]
    assert core.grows(exact, 3.0) is True and core.grows(exact[1::-1], 3.0) is False
    assert core.grows([Bound(14.0), Bound(30.0)], 3.0) is False  # non-decreasing, but not 3×
    assert core.grows([Bound(14.0), Bound(30.0, exact=False)], 3.0) is None
    assert core.flat([Bound(2.0), Bound(3.0), Bound(3.0)], 2.0) is True
    assert core.flat([Bound(2.0), Bound(5.0)], 2.0) is False and core.flat([Bound(2.0), Bound(math.inf)], 2.0) is False
    assert core.flat([Bound(2.0), Bound(3.0, exact=False)], 2.0) is None
    assert core.flat([Bound(2.0), Bound(9.0, exact=False)], 2.0) is False  # a lower bound that is too late already


# ---- the claims, one holding and one failing per figure group --------------------------------

def test_fig3_gn_decays_at_the_lemma_rate_or_not(tmp_path):
    runs = folder(tmp_path, "fig3_seeds")
    make_run_file(runs / "gn.h5", "gn", steps=200)  # mode k decays like exp(−k t / 10): mode 0 not at all
    assert row(tmp_path, "fig3.gn_uniform_decay").verdict == "fails"
    np.testing.assert_allclose(spectral.lemma_rates(load_run(runs / "gn.h5")), np.arange(10) * 0.1 / -LN_099,
                               rtol=1e-6, atol=1e-9)
    steps = np.arange(201)
    overwrite(runs / "gn.h5", "spectral/fft_error", np.outer(0.99 ** steps, np.linspace(0.3, 0.01, 51)))
    result = row(tmp_path, "fig3.gn_uniform_decay")
    assert result.verdict == "holds" and "10/10 in band" in result.measured
    assert result.files == ("fig3_seeds/gn.h5",)
    np.testing.assert_allclose(spectral.lemma_rates(load_run(runs / "gn.h5")), 1.0, rtol=1e-9)


@pytest.mark.parametrize("steps, verdict", [(6, "holds"), (20, "fails")])
def test_fig9_sgd_orders_the_shells(tmp_path, steps, verdict):
    # Shell 0 is the single coefficient (0, 0), decaying as exp(−0.4 t); shells 7–9 near exp(−0.4 t / 9).
    make_regression2d_file(folder(tmp_path, "fig9_regression2d") / "sgd.h5", "sgd", steps=steps)
    result = row(tmp_path, "fig9.sgd_spectral_bias")
    assert result.verdict == verdict and f"e_0 × {math.exp(-0.4 * steps):.3g}," in result.measured


def test_fig9_gn_shells_decay_uniformly(tmp_path):
    make_regression2d_file(folder(tmp_path, "fig9_regression2d") / "gn.h5", "gn", steps=20)
    assert row(tmp_path, "fig9.gn_uniform_decay").verdict == "holds"
    rates = spectral.mode_rates(load_run(tmp_path / "fig9_regression2d" / "gn.h5"), spectral.FIG9_EARLY)
    np.testing.assert_allclose(rates, -0.1, rtol=1e-9)


def test_fig4_lm_against_adam(tmp_path):
    runs = folder(tmp_path, "fig4_pinn_poisson")
    for optimizer in ("adam", "lm"):
        for n in (1, 3):
            make_pinn_file(runs / f"{optimizer}{n}.h5", optimizer, (n, n), steps=100)
    # The builder's losses fall as exp(−r t / (n + m)), LM's r = 0.08: slopes −0.04 and −0.08/6.
    slope = row(tmp_path, "fig4.lm_uniform_slope")
    assert slope.verdict == "fails" and slope.measured.endswith("(1,1) -0.04, (3,3) -0.0133 /step; fastest/slowest 3")
    beaten = row(tmp_path, "fig4.lm_beats_adam_high_freq")  # Adam's r = 0.05: LM only e^(0.03·100/2n) below
    assert beaten.verdict == "fails" and f"(1,1) {math.exp(1.5):.3g}, (3,3) {math.exp(0.5):.3g}" in beaten.measured
    for n, gain in ((1, 20.0), (3, 1000.0)):
        loss = load_run(runs / f"adam{n}.h5").history["train_loss"] / gain
        overwrite(runs / f"lm{n}.h5", "history/train_loss", loss, final_train_loss=loss[-1])
    beaten = row(tmp_path, "fig4.lm_beats_adam_high_freq")
    assert beaten.verdict == "holds" and "(1,1) 20, (3,3) 1e+03" in beaten.measured


def test_fig5_sgd_delay_grows_with_s_or_not(tmp_path):
    runs = folder(tmp_path, "fig5_modular_mlp")
    for s in (0.5, 1.0, 2.0):
        make_modular_file(runs / f"sgd{s}.h5", "sgd", s, steps=1000)
    delays = [load_run(runs / f"sgd{s}.h5").attrs["grokking_delay"] for s in (0.5, 1.0)]  # the C++ rule's
    assert delays == [14, 125] and load_run(runs / "sgd2.0.h5").attrs["test_acc_threshold_step"] == -1
    result = row(tmp_path, "fig5.sgd_delay_grows_with_s")
    assert result.verdict == "holds" and result.measured.endswith("s = 0.5, 1, 2: 14, 125, never")
    # At s = 2 the test accuracy now follows the train accuracy: it reaches 0.9 before the train
    # accuracy reaches 0.99, a negative delay, so the delay does not grow with s.
    history = load_run(runs / "sgd2.0.h5").history
    overwrite(runs / "sgd2.0.h5", "history/test_acc", history["train_acc"])
    negative = (measures.first_crossing(history["step"], history["train_acc"], 0.9)
                - measures.first_crossing(history["step"], history["train_acc"], 0.99))
    result = row(tmp_path, "fig5.sgd_delay_grows_with_s")
    assert negative < 0 and result.verdict == "fails" and result.measured.endswith(f": 14, 125, {negative}")


def test_fig6_lm_and_gd_delays(tmp_path):
    runs = folder(tmp_path, "fig6_polynomial")
    for optimizer in ("sgd", "lm"):
        for alpha in (1.0, 16.0):
            make_polynomial_file(runs / f"{optimizer}{alpha:g}.h5", optimizer, alpha, m=16)
    assert row(tmp_path, "fig6.gd_delay_grows_with_alpha").verdict == "holds"
    assert row(tmp_path, "fig6.lm_reduces_delay").measured == "at α = 16: GD delay never, LM delay -6"
    # LM's α = 16 test loss never halves now: no delay independent of α, no reduction.
    overwrite(runs / "lm16.h5", "history/test_loss", np.full(len(load_run(runs / "lm16.h5").history["step"]), 3.0))
    assert [row(tmp_path, c).verdict for c in ("fig6.lm_delay_flat_in_alpha", "fig6.lm_reduces_delay")] == [
        "fails", "fails"]


def test_mnist_claims_of_figs_1_and_7(tmp_path):
    fig1 = folder(tmp_path, "fig1_mnist")
    for alpha in (1.0, 4.0, 8.0):
        make_mnist_file(fig1 / f"adamw{alpha:g}.h5", "adamw", alpha, steps=22000)
    make_mnist_file(fig1 / "sgd8.h5", "sgd", 8.0, steps=2000)  # the builder's SGD fits only near step 12 000
    delays = [load_run(fig1 / f"adamw{a}.h5").attrs["grokking_delay"] for a in ("1", "4", "8")]
    grows = row(tmp_path, "fig1.adamw_delay_grows_with_alpha")
    assert grows.verdict == "holds" and f"α = 1, 4, 8: {', '.join(map(str, delays))};" in grows.measured
    assert delays == sorted(delays)
    sgd = row(tmp_path, "fig1.sgd_groks")
    assert sgd.verdict == "fails" and "train ≥ 0.99 at never" in sgd.measured
    make_mnist_file(folder(tmp_path, "fig7_mnist_switch") / "switch.h5", "lm+adamw", 8.0, steps=22000, switch=2000)
    recovered = row(tmp_path, "fig7.switch_recovers_accuracy")
    assert recovered.verdict == "holds" and recovered.measured == "final test acc LM→AdamW 0.97 vs AdamW 0.96"
    assert recovered.files == ("fig7_mnist_switch/switch.h5", "fig1_mnist/adamw8.h5")


def test_fig11_plateau_then_jump_but_not_alike(tmp_path):
    runs = folder(tmp_path, "fig11_mnist_ce")
    for optimizer in ("sgd", "adam", "ggn"):
        make_ce_mnist_file(runs / f"{optimizer}.h5", optimizer)
    plateau = row(tmp_path, "fig11.plateau_then_jump")
    assert plateau.verdict == "holds"
    assert plateau.measured.endswith("SGD 0.551 → 0.746, Adam 0.55 → 0.749, GGN 0.55 → 0.75")
    alike = row(tmp_path, "fig11.optimizers_alike")  # the builder's jumps: 30 000, 20 000, 8 000 × (1 + …)
    jumps = [int(s) for s in re.findall(r"\d+", alike.measured.split(":")[-1])]
    assert alike.verdict == "fails" and max(jumps) / min(jumps) > 2


def test_transformer_claims_of_figs_8_and_12(tmp_path):
    fig8 = folder(tmp_path, "fig8_transformer")
    make_transformer_file(fig8 / "adam.h5", "adam")
    make_transformer_file(fig8 / "ggn.h5", "ggn")
    rise = row(tmp_path, "fig8.ggn_earlier_validation_rise")
    assert rise.verdict == "holds" and rise.measured == "validation acc ≥ 0.3 first at GGN 161, Adam 1182"
    plateau = row(tmp_path, "fig8.ggn_validation_plateau")  # the builder's GGN plateau: 95 %
    assert plateau.verdict == "fails" and plateau.measured.endswith(": 0.951")
    make_transformer_file(folder(tmp_path, "fig12_continuation") / "continue.h5", "ggn+adam")
    spike = row(tmp_path, "fig12.validation_loss_spike")
    assert spike.verdict == "holds" and "at the switch (step 3000) 0.22, peak within 500 steps 1.31" in spike.measured


# ---- runs in progress, shortened runs, runs that are not there ----------------------------------

def test_a_run_in_progress_decides_a_crossing_but_not_a_plateau(tmp_path):
    fig8 = folder(tmp_path, "fig8_transformer")
    make_transformer_file(fig8 / "ggn.h5", "ggn")
    make_transformer_file(fig8 / "adam.h5.partial", "adam", steps=300, status="running")
    rise = row(tmp_path, "fig8.ggn_earlier_validation_rise")  # GGN at 161; Adam not by step 300
    assert rise.verdict == "holds" and rise.measured.endswith("Adam > 301 so far")
    assert rise.note == "run in progress (adam.h5.partial at step 300 of 300), decided already"
    adam = row(tmp_path, "fig8.adam_full_generalization")
    assert adam.verdict == "undecided" and adam.note.endswith("its end can change this")
    assert adam.files == ("fig8_transformer/adam.h5.partial",)


def test_smoke_folders_are_shortened_runs(tmp_path):
    smoke = folder(tmp_path, "smoke_fig8_transformer")
    make_transformer_file(smoke / "adam.h5", "adam")
    make_transformer_file(smoke / "ggn.h5", "ggn")
    rise = row(tmp_path, "fig8.ggn_earlier_validation_rise")
    assert rise.verdict == "undecided" and rise.measured.endswith("GGN 161, Adam 1182")
    assert rise.note.startswith("shortened run (smoke_fig8_transformer)")
    make_transformer_file(folder(tmp_path, "fig8_transformer") / "adam.h5", "adam")  # the full job's folder wins
    assert row(tmp_path, "fig8.ggn_earlier_validation_rise").note == "no GGN run among the run files"


def test_empty_root_is_not_run_everywhere(tmp_path):
    judged = claims.rows(tmp_path)
    assert len(judged) == len(core.REGISTRY) and {r.verdict for r in judged} == {"not run"}
    assert row(tmp_path, "fig12.adam_steps_comparable").note == "no run files in fig12_continuation or fig12"


def test_registry_covers_every_figure_with_documented_ids_and_real_job_folders():
    ids = [c.id for c in core.REGISTRY]
    assert len(ids) == len(set(ids)) and {c.figure for c in core.REGISTRY} == {1, *range(3, 14)}
    documented = set(re.findall(r"`(fig\d+\.\w+)`", (REPO / "docs" / "claims.md").read_text()))
    assert documented == set(ids)
    # Folder names: a job's stem (pgdx sweep's default folder) or the --out runs/NAME of its header.
    jobs = {p.stem: p.read_text() for p in (REPO / "jobs").glob("*.toml")}
    names = set(jobs) | {name for text in jobs.values() for name in re.findall(r"--out runs/(\w+)", text)}
    for item in core.REGISTRY:
        for need in item.needs:
            assert need.folders[0] in jobs and set(need.folders + need.smoke) <= names, item.id


# ---- the command line ------------------------------------------------------------------------

@pytest.fixture
def partial_root(tmp_path):
    """Fig. 5's SGD runs and nothing else."""
    runs = folder(tmp_path / "root", "fig5_modular_mlp")
    for s in (0.5, 1.0):
        make_modular_file(runs / f"sgd{s}.h5", "sgd", s, steps=1000)
    return tmp_path / "root"


def test_cli_prints_one_row_per_claim_and_writes_markdown(partial_root, tmp_path):
    report = tmp_path / "report.md"
    result = cli("claims", partial_root, "-o", report)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[0] == str(report)
    rows = table(result.stdout)
    assert [r["claim"] for r in rows] == [c.id for c in sorted(core.REGISTRY, key=lambda c: c.figure)]
    by_id = {r["claim"]: r for r in rows}
    assert by_id["fig5.sgd_delay_grows_with_s"]["verdict"] == "holds"
    assert by_id["fig5.sgd_delay_grows_with_s"]["run files"] == "fig5_modular_mlp/sgd0.5.h5, fig5_modular_mlp/sgd1.0.h5"
    lm = by_id["fig5.lm_delay_flat_in_s"]
    assert (lm["verdict"], lm["note"], lm["measured"]) == ("not run", "no LM run of modular_mlp", "-")
    assert sum(r["verdict"] == "not run" for r in rows) == len(rows) - 1
    text = report.read_text()
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    assert text.splitlines()[0].startswith(f"# Paper claims checked against {partial_root.resolve()} ({today} ")
    assert table(text) == rows and f"{len(rows)} claims: 1 holds, 0 fails, 0 undecided" in text


def test_cli_without_output_prints_the_table_only(partial_root):
    result = cli("claims", partial_root)
    assert result.returncode == 0 and result.stdout.startswith("| figure | claim |")


@pytest.mark.parametrize("damage", ["truncated", "foreign", "truncated partial"])
def test_cli_bad_run_file_is_one_line_and_exit_2(partial_root, damage):
    good = partial_root / "fig5_modular_mlp" / "sgd0.5.h5"
    bad = partial_root / "fig5_modular_mlp" / ("bad.h5.partial" if damage == "truncated partial" else "bad.h5")
    if damage == "foreign":
        with h5py.File(bad, "w") as f:
            f["data"] = np.zeros(3)
    else:
        bad.write_bytes(good.read_bytes()[:2000])
    result = cli("claims", partial_root)
    assert_one_line_failure(result, "postprocess claims: error:", str(bad))
    if damage == "foreign":
        assert "not a pgdx run file" in result.stderr


def test_cli_missing_root_is_exit_2(tmp_path):
    assert_one_line_failure(cli("claims", tmp_path / "nowhere"), str(tmp_path / "nowhere"), "no such directory")


def test_header_folder_names_are_read_and_copies_count_once(tmp_path):
    """`--out runs/fig8` (the job header's name) is read too; a run in both folders counts once."""
    short = folder(tmp_path, "fig8")
    make_transformer_file(short / "adam.h5", "adam")
    make_transformer_file(short / "ggn.h5", "ggn")
    (folder(tmp_path, "fig8_transformer") / "adam.h5").write_bytes((short / "adam.h5").read_bytes())
    rise = row(tmp_path, "fig8.ggn_earlier_validation_rise")
    assert rise.verdict == "holds" and rise.files == ("fig8/ggn.h5", "fig8_transformer/adam.h5")


def test_smoke_job_runs_in_a_full_folder_are_shortened_runs(tmp_path):
    """scripts/reproduce --quick writes the smoke jobs' runs into the full jobs' folders: the
    run's own config_file marks them."""
    import h5py
    full = folder(tmp_path, "fig8_transformer")
    for name in ("adam", "ggn"):
        make_transformer_file(full / f"{name}.h5", name)
    assert not row(tmp_path, "fig8.ggn_earlier_validation_rise").note.startswith("shortened run")
    with h5py.File(full / "ggn.h5", "r+") as f:
        f.attrs["config_file"] = "jobs/smoke_fig8_transformer.toml"
    rise = row(tmp_path, "fig8.ggn_earlier_validation_rise")
    assert rise.verdict == "undecided" and rise.note.startswith("shortened run (fig8_transformer)")
