"""/usr/bin/python3 -m postprocess FIGURE RUN_DIR -o OUT.png
/usr/bin/python3 -m postprocess fig12 RUN_DIR [RUN_DIR ...] -o OUT.png
/usr/bin/python3 -m postprocess claims RUN_ROOT [-o REPORT.md]
(from the repository root; scripts/postprocess ARGS, installed as pgdx-post, runs it from anywhere)

A RUN_DIR may also be one run file: the figure of that run alone.

Draws one of the paper's figures from a folder of pgdx run files: fig1 (MNIST grokking over α),
fig3 (1-D residual Fourier modes), fig4 (PINN Poisson), fig5 (modular addition, SGD vs LM over s),
fig6 (polynomial teacher, GD vs LM over α, with its ray spectra), fig7 (MNIST optimizer
switching), fig8 (modular addition with a transformer, Adam vs GGN-CG), fig9 (2-D residual
shells), fig10 (MNIST train and test MSE of AdamW and LM, with the test accuracy), fig11 (MNIST with
cross-entropy, SGD / Adam / GGN), ntk and lazy (the kernel diagnostic of runs with run.ntk_every > 0:
spectrum and per-band rates; drift and distance over α), fig12 (the transformer: GGN, then
Adam, vs Adam alone; from one or more folders, e.g. the phase run's and Fig. 8's), fig13 (Figs. 1
and 7 over seeds); seed-bands draws any history quantity over seeds, and
`collect RUN_DIR -o OUT.csv` writes a table of the runs instead (OUT.csv and OUT.h5), and `claims
RUN_ROOT` checks every quantified claim of the paper (docs/claims.md) against the job folders in
RUN_ROOT, printing one row per claim (and writing it to REPORT.md with -o). fig1, fig4,
fig5, fig6, fig7, fig8, fig9, fig10, fig11, fig12, fig13 and lazy print the PNG path and then a Markdown table of
the runs' final values, for pasting into a report. Bad input (missing folder, no run files, a truncated or
foreign file, an unwritable output) is reported as ONE line on stderr with exit code 2, so
scripts and job logs stay readable.
"""
import argparse
import sys

from . import (claims, collect, fig1_mnist, fig3_spectral, fig4_pinn, fig5_modular, fig6_polynomial, fig7_switch,
               fig8_transformer, fig9_spectral2d, fig10_losses, fig11_ce, fig12_continuation, fig13_seeds, laziness,
               ntk_spectrum, seed_bands)
from .panels import Table
from .runs import RunFileError


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def positive_float(text: str) -> float:
    value = _finite(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def non_negative_float(text: str) -> float:
    value = _finite(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number >= 0")
    return value


def _finite(text: str) -> float:
    """float(text), NaN for anything that is not a finite number (every comparison then fails)."""
    try:
        value = float(text)
    except ValueError:
        return float("nan")
    return value if abs(value) != float("inf") else float("nan")


def alpha_option(default: float):
    return (("--alpha",), dict(dest="alpha", type=positive_float, default=default, metavar="A",
                               help=f"initial-parameter scale α (model.init_scale) to draw (default {default:g})"))


# One entry per figure: subcommand -> (draw(run_dir, out_png, **options), help text[, options]),
# options being ((flags, argparse keyword arguments incl. dest), ...) passed on to draw by dest.
# A draw that returns a panels.Table has it printed after the output path.
# Figures in SEVERAL_FOLDERS take one or more run folders; their draw gets the list.
FIGURES = {
    "fig1": (fig1_mnist.draw, "Fig. 1: MNIST grokking: train/test accuracy and weight norm per optimizer at α, "
             "AdamW and LM accuracy per α; prints final accuracies and grokking steps per run",
             (alpha_option(fig1_mnist.ALPHA),)),
    "fig3": (fig3_spectral.draw, "Fig. 3: residual Fourier-mode errors per optimizer (1-D regression)"),
    "fig4": (fig4_pinn.draw, "Fig. 4: PINN Poisson training loss and relative L2 error vs iteration, one column "
             "per optimizer, one curve per frequency (n,m); prints the final values"),
    "fig5": (fig5_modular.draw, "Fig. 5: modular addition with a quadratic MLP: train/test accuracy and loss vs "
             "epoch, SGD and LM columns, one curve per output scale s = 1/loss.residual_scale; prints final "
             "accuracies and grokking steps per run"),
    "fig6": (fig6_polynomial.draw, "Fig. 6: polynomial teacher: normalised train/test loss and the subspace error "
             "along the train and (1,…,1) rays vs iteration, GD and LM, one curve per α = model.output_scale; "
             "prints final normalised losses and the steps they fall below 0.1",
             ((("--mode",), dict(dest="mode", type=int, default=None, metavar="K",
                                 help="wave number k of /subspace/modes to draw (default the last, k = m/2)")),)),
    "fig7": (fig7_switch.draw, "Fig. 7: MNIST optimizer switching (LM then AdamW): accuracy and loss vs step with "
             "the switch step, pure AdamW / LM runs of the same α and seed as references; prints final values"),
    "fig8": (fig8_transformer.draw, "Fig. 8: modular addition with a transformer, Adam vs GGN-CG: train/validation "
             "accuracy and cross-entropy loss vs step per optimizer, GGN's CG iterations and accepted η per step "
             "below; prints final values, the steps to 99 % validation and 100 % train accuracy, and GGN's "
             "median CG iterations and η"),
    "fig9": (fig9_spectral2d.draw, "Fig. 9: residual radial-shell errors e_m per optimizer (2-D regression, "
             "regression2d); prints the final shell errors",
             ((("--shells",), dict(dest="shells", type=positive_int, default=fig9_spectral2d.SHELLS, metavar="K",
                                   help=f"number of shells m = 0…K-1 to draw (default {fig9_spectral2d.SHELLS})")),
              (("--smooth",), dict(dest="smooth", type=non_negative_float, default=None, metavar="STEPS",
                                   help="window of the running geometric mean drawn over the faint raw curves, "
                                        "in steps (default 1 %% of each run; 0: raw curves only)")))),
    "fig10": (fig10_losses.draw, "Fig. 10: MNIST train (solid) and test (dotted) MSE vs step, log-y, of the pure "
              "AdamW (left) and LM (right) runs at α, the test accuracy on a right axis; prints final losses and "
              "test accuracy and the train-loss fall from the fit (train accuracy ≥ 0.99) to the last step",
              (alpha_option(fig1_mnist.ALPHA),)),
    "fig11": (fig11_ce.draw, "Fig. 11: MNIST with softmax cross-entropy (loss.kind = cross_entropy): train/test "
              "accuracy and loss vs step per optimizer (SGD, Adam, GGN), weight norms below; prints final "
              "accuracies, losses and grokking steps per run"),
    "fig12": (fig12_continuation.draw, "Fig. 12: GGN for 3 000 steps, then Adam (Continue) vs Adam alone: "
              "accuracy and loss vs step with the switch step and the validation-loss peak; the Adam run of the "
              "same seed may lie in another folder (fig12 DIR [DIR ...]); prints the validation loss at the "
              "switch, its peak within 500 steps after it and the steps Adam needs to 99 % validation accuracy"),
    "fig13": (fig13_seeds.draw, "Fig. 13: Figs. 1 (top row) and 7 over seeds: median and min-max band per "
              "optimizer setting at α; prints final test accuracy and grokking delay over seeds",
              (alpha_option(fig1_mnist.ALPHA),)),
    "ntk": (ntk_spectrum.draw, "the kernel K = J Jᵀ on the probe set (runs with run.ntk_every > 0), one row per "
            "run: its largest eigenvalues over the steps, the measured per-step decay per eigen-band against "
            "the lemma's prediction for the optimizer that ran, and the residual energy per band; RUN_DIR may "
            "also be one run file"),
    "lazy": (laziness.draw, "laziness on the probe set (runs with run.ntk_every > 0): kernel drift, distance from "
             "init, linearisation gap and kernel-target alignment vs step, one curve per α and optimizer; "
             "prints the final values"),
    "collect": (collect.write_tables, "table of a sweep's runs, one row per run file: OUT.csv plus OUT.h5 "
                "(one dataset per column under /runs/)"),
    "claims": (claims.report, "the paper's quantified claims (docs/claims.md) against RUN_ROOT's job folders "
               "(RUN_ROOT/fig3_regression1d, RUN_ROOT/fig8_transformer, …, or their smoke_* variants): per claim the "
               "measured values, a verdict (holds / fails / undecided / not run) and the run files used; -o also "
               "writes the table as Markdown"),
    "seed-bands": (seed_bands.draw, "median and min-max band over seeds of a history quantity vs step, "
                   "one line per optimizer / mu / other swept key",
                   ((("--quantity",), dict(dest="quantity", default="train_loss",
                                          help="/history dataset to plot (default train_loss)")),)),
}
SEVERAL_FOLDERS = {"fig12"}
# Commands that read a root of job folders (RUN_ROOT/<job stem>/), in progress files included, and
# print their result: -o is optional.
RUN_ROOT_COMMANDS = {"claims"}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python3 -m postprocess",
                                     description="Draw the paper's figures from pgdx run files.")
    sub = parser.add_subparsers(dest="figure", required=True, metavar="FIGURE")
    for name, (_, help_text, *options) in FIGURES.items():
        # argparse expands %-formats in a subcommand's help (not in its description): "99 %" must be "99 %%".
        p = sub.add_parser(name, help=help_text.replace("%", "%%"), description=help_text)
        if name in SEVERAL_FOLDERS:
            p.add_argument("run_dir", nargs="+", help="folder(s) with the run files (*.h5; *.h5.partial are ignored) "
                                                      "or run files")
        elif name in RUN_ROOT_COMMANDS:
            p.add_argument("run_dir", metavar="run_root",
                           help="folder with one sub-folder per job, named after the job file's stem")
        else:
            p.add_argument("run_dir", help="folder with the run files (*.h5; *.h5.partial are ignored), "
                                           "or one run file")
        if name in RUN_ROOT_COMMANDS:
            p.add_argument("-o", "--output", default=None, help="Markdown file to write the table to as well")
        else:
            p.add_argument("-o", "--output", required=True, help="CSV file to write (and OUT.h5 next to it)"
                           if name == "collect" else "PNG file to write")
        for flags, kwargs in (options[0] if options else ()):
            p.add_argument(*flags, **kwargs)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    draw, _, *options = FIGURES[args.figure]
    extra = {kwargs["dest"]: getattr(args, kwargs["dest"]) for _, kwargs in (options[0] if options else ())}
    try:
        result = draw(args.run_dir, args.output, **extra)
    except RunFileError as e:
        print(f"postprocess {args.figure}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # writing the PNG failed (folder missing, permissions, disk full)
        message = " ".join(f"cannot write {args.output}: {e.strerror or e}".split())
        print(f"postprocess {args.figure}: error: {message}", file=sys.stderr)
        return 2
    if args.output is not None:
        print(args.output)
    if isinstance(result, Table):
        print("\n".join(result.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
