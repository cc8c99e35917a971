"""``rnnkit data list`` and ``rnnkit data get NAME``: the README's public datasets, fetched from
their repositories at pinned commits and checked (``rnnkit.data.catalog``)."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="list or fetch the public datasets the README uses",
                       description="The public datasets the README's examples and results use, each from its "
                                   "repository at a fixed commit, checked against a pinned SHA-256.")
    verbs = p.add_subparsers(dest="data_command", metavar="list|get", required=True)
    listing = verbs.add_parser("list", help="name each dataset with its source, licence and size",
                               description="Name each dataset with what it is, its source (repository@commit), "
                                           "its licence and its size.")
    listing.set_defaults(run=run_list)
    get = verbs.add_parser("get", help="fetch a dataset into the cache and print its folder",
                           description="Fetch every file of NAME into DIR/NAME (default: $RNNKIT_DATA, else "
                                       "~/.cache/rnnkit/data), check each against its SHA-256, and print the "
                                       "folder. Files already there and intact are kept; an interrupted fetch "
                                       "continues where it stopped.")
    get.add_argument("name", metavar="NAME", help="a dataset of `rnnkit data list`")
    get.add_argument("--dir", metavar="DIR", help="the folder to fetch into (default: the cache)")
    get.set_defaults(run=run_get)


def run_list(args) -> None:
    from rnnkit.data.catalog import DATASETS

    for d in DATASETS.values():
        print(f"{d.name}\t{d.size / 1e6:.1f} MB\t{d.what}\tsource {d.source}\tlicence {d.licence}")


def run_get(args) -> None:
    from tqdm import tqdm

    from rnnkit.data.catalog import get

    bars = {}

    def progress(name, done, total):
        if name not in bars:
            bars[name] = tqdm(total=total or None, unit="B", unit_scale=True, desc=name, file=sys.stderr, leave=False,
                              disable=None)   # no bar where stderr is not a terminal
        bars[name].update(done - bars[name].n)

    try:
        print(get(args.name, args.dir, progress))
    finally:
        for bar in bars.values():
            bar.close()
