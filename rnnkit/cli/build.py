"""``rnnkit build``: compile the C++ time loop ahead of time, so that its first use does not wait."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="compile the C++ time loop ahead of time",
                       description="Compile the recurrent engine's C++ time loop into torch's extension cache "
                                   "($TORCH_EXTENSIONS_DIR, default ~/.cache/torch_extensions) and print where "
                                   "the library is; once built, this does nothing.  Otherwise the first model "
                                   "that runs compiles it (about a minute).  With RNNKIT_NATIVE=0 the Python "
                                   "loop runs and there is nothing to build.")
    p.set_defaults(run=run)


def run(args) -> None:
    from rnnkit.engine import native
    from rnnkit.errors import RnnkitError

    cached = native.built()
    try:
        path = native.build()
    except native.BuildError as e:
        raise RnnkitError(f"the C++ time loop could not be built: {e}") from e
    if path is None:
        print("rnnkit: the C++ time loop is disabled (RNNKIT_NATIVE=0); nothing to build", file=sys.stderr)
        return
    if cached:
        print("rnnkit: the C++ time loop was already built", file=sys.stderr)
    print(path)
