"""The ``rnnkit`` command.

Machine-readable output goes to stdout, progress and messages to stderr.  A usage or input
error prints one line on stderr and exits with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys


class CommandError(Exception):
    """A problem with the user's input: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's two-line usage error becomes one line
        raise CommandError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="rnnkit", description="Recurrent sequence models: train, inspect, generate.",
                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    demo = sub.add_parser("demo", help="train a small character LSTM and print its gate trace",
                          description="Train a small character LSTM on the Zen of Python for a few "
                                      "seconds, then print, character by character, its gates "
                                      "while it reads a sentence.",
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    demo.add_argument("--seconds", type=float, default=20.0, help="training time in seconds")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    return parser


def run_demo(args) -> None:
    if args.seconds <= 0:
        raise CommandError(f"--seconds must be positive, got {args.seconds}")
    from rnnkit.cli import demo
    demo.run(seconds=args.seconds, seed=args.seed)


COMMANDS = {"demo": run_demo}


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        COMMANDS[args.command](args)
    except CommandError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
