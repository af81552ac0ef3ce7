"""/usr/bin/python3 -m postprocess FIGURE RUN_DIR -o OUT.png

Draws one of the paper's figures from a folder of pgdx run files. Bad input (missing folder,
no run files, a truncated or foreign file, an unwritable output) is reported as ONE line on
stderr with exit code 2, so scripts and job logs stay readable.
"""
import argparse
import sys

from . import fig3_spectral
from .runs import RunFileError

# One entry per figure: subcommand -> (draw(run_dir, out_png), help text).
FIGURES = {
    "fig3": (fig3_spectral.draw, "Fig. 3: residual Fourier-mode errors per optimizer (1-D regression)"),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python3 -m postprocess",
                                     description="Draw the paper's figures from pgdx run files.")
    sub = parser.add_subparsers(dest="figure", required=True, metavar="FIGURE")
    for name, (_, help_text) in FIGURES.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("run_dir", help="folder with the run files (*.h5; *.h5.partial are ignored)")
        p.add_argument("-o", "--output", required=True, help="PNG file to write")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    draw, _ = FIGURES[args.figure]
    try:
        draw(args.run_dir, args.output)
    except RunFileError as e:
        print(f"postprocess {args.figure}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # writing the PNG failed (folder missing, permissions, disk full)
        message = " ".join(f"cannot write {args.output}: {e.strerror or e}".split())
        print(f"postprocess {args.figure}: error: {message}", file=sys.stderr)
        return 2
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
