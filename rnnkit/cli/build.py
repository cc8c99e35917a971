"""``rnnkit build``: compile the C++ extensions ahead of time, so that their first use does not wait."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="compile the C++ time loop ahead of time",
                       description="Compile the recurrent engine's C++ time loop and the C++ sampler into torch's "
                                   "extension cache ($TORCH_EXTENSIONS_DIR, default ~/.cache/torch_extensions) and "
                                   "print where the libraries are, one per line; once built, this does nothing.  "
                                   "Otherwise their first use compiles them (about a minute each).  With "
                                   "RNNKIT_NATIVE=0 the Python loops run and there is nothing to build.")
    p.set_defaults(run=run)


def run(args) -> None:
    from rnnkit.decoding.native import SAMPLER
    from rnnkit.engine import native
    from rnnkit.errors import RnnkitError

    for extension in (native.LOOP, SAMPLER):
        cached = extension.built()
        try:
            path = extension.build()
        except native.BuildError as e:
            raise RnnkitError(f"{extension.what} could not be built: {e}") from e
        if path is None:
            print(f"rnnkit: {extension.what} is disabled (RNNKIT_NATIVE=0); nothing to build", file=sys.stderr)
            continue
        if cached:
            print(f"rnnkit: {extension.what} was already built", file=sys.stderr)
        print(path)
