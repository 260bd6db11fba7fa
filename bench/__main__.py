"""``python -m bench [BENCHMARK] [options]``: run one benchmark (``filing`` by default).

To add a benchmark, write a module with a docstring, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status), and name it in ``BENCHMARKS``.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from bench.server import SetupError

BENCHMARKS = {
    "filing": "bench.filing",
    "ledger": "bench.ledger",
    "dispatch": "bench.dispatch",
    "compliance": "bench.compliance",
}
DEFAULT = "filing"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of the registry on gunicorn and PostgreSQL.",
        epilog=f"Without a benchmark name, runs {DEFAULT!r}.",
    )
    subparsers = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        summary = module.__doc__.strip().splitlines()[0]
        subparser = subparsers.add_parser(name, help=summary, description=module.__doc__)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def with_default_benchmark(argv: list[str]) -> list[str]:
    """Insert the default benchmark's name unless the arguments start with one (or help)."""
    if argv and (argv[0] in BENCHMARKS or argv[0] in ("-h", "--help")):
        return argv
    return [DEFAULT, *argv]


def interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM both raise KeyboardInterrupt, so the server is stopped on either
    (also where SIGINT was ignored, as for a background job of a script)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(with_default_benchmark(sys.argv[1:] if argv is None else argv))
    interrupt_on_signals()
    try:
        return args.run(args)
    except SetupError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; the server was stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
