"""Command line: ``python -m cnncourse warmup`` and ``python -m cnncourse train-digits``."""

from __future__ import annotations

import argparse
import sys

from ._warmup import warmup


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnncourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("warmup", help="compile and cache every Numba kernel ahead of class")
    digits = sub.add_parser(
        "train-digits",
        help="train LeNet-5 on scikit-learn's digits and print the test accuracy",
        description="Train LeNet-5 on scikit-learn's 8x8 digits (upsampled to 32x32, 80/20 "
        "stratified split) with a progress bar on standard error; the last line on standard "
        "output is 'test accuracy 0.NNNN in NN.N s' (training plus test evaluation).",
    )
    digits.add_argument(
        "--epochs", type=_positive_int, default=None, help="epochs of training (default 20)"
    )
    digits.add_argument(
        "--seed", type=_seed, default=0, help="seed of the weights and the batches (default 0)"
    )
    args = parser.parse_args(argv)
    if args.command == "warmup":
        warmup()
    elif args.command == "train-digits":
        from .training import DIGITS_EPOCHS, train_digits  # slow to import: only for this command

        epochs = DIGITS_EPOCHS if args.epochs is None else args.epochs
        run = train_digits(epochs=epochs, seed=args.seed, progress="text")
        print(run.summary_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
