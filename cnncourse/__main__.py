"""Command line: ``python -m cnncourse warmup``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnncourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("warmup", help="compile and cache every Numba kernel ahead of class")
    args = parser.parse_args(argv)
    if args.command == "warmup":
        from ._warmup import warmup

        warmup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
