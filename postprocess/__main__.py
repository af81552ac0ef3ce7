"""python3 -m postprocess <figure> RUN_DIR -o OUT.png — bad input is one line and exit code 2."""
import argparse
import sys

from . import fig3_spectral
from .runs import RunFileError

FIGURES = {
    "fig3": (fig3_spectral.draw, "Fig. 3: residual Fourier-mode errors per optimizer (1-D regression)"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m postprocess", description=__doc__)
    sub = parser.add_subparsers(dest="figure", required=True)
    for name, (_, help_text) in FIGURES.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument("run_dir", help="folder with the run files (*.h5)")
        p.add_argument("-o", "--output", required=True, help="PNG to write")
    args = parser.parse_args(argv)
    draw, _ = FIGURES[args.figure]
    try:
        draw(args.run_dir, args.output)
    except RunFileError as e:
        print(f"postprocess: error: {e}", file=sys.stderr)
        return 2
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
