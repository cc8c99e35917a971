"""``rnnkit longrange PROBLEM``: train on a long-range problem and test, in one command."""
from __future__ import annotations

import dataclasses
import sys
import tempfile


def add_parser(sub) -> None:
    from rnnkit.analysis.longrange import PROBLEMS
    from rnnkit.cli.render import add_options
    from rnnkit.tasks import get_task
    from rnnkit.tasks.options import options_of

    task = get_task("longrange")
    p = sub.add_parser("longrange", help="train and test a recurrent network on a long-range problem",
                       description=task.description + " The last line on stdout is `test mse X` (adding) or `test "
                                   "accuracy X` (the others). Without --out the run directory is temporary.")
    p.add_argument("problem", choices=PROBLEMS, metavar="PROBLEM", help=f"one of {', '.join(PROBLEMS)}")
    options = [dataclasses.replace(o, required=False) if o.dest == "out" else o   # several processes: `rnnkit
               for o in options_of(task.Config) if o.dest not in ("problem", "nproc")]   # train longrange --nproc`
    add_options(p, options, only_given=True)
    p.set_defaults(run=run)


def run(args) -> None:
    from rnnkit.errors import RnnkitError
    from rnnkit.tasks import Training, get_task, load

    task = get_task("longrange")
    given = {k: v for k, v in vars(args).items() if k not in ("command", "run", "argv")}
    if given.get("resume") and not given.get("out"):
        raise RnnkitError("--resume needs --out RUN_DIR, the run to continue")
    with tempfile.TemporaryDirectory(prefix="rnnkit-longrange-") as scratch:
        given.setdefault("out", f"{scratch}/run")
        training = Training(task, given)
        print(training.description, file=sys.stderr)
        print(training.run(), file=sys.stderr)
        if given["out"].startswith(scratch):
            print("(the run directory was temporary: give --out RUN_DIR to keep it)", file=sys.stderr)
        model = load(given["out"], given.get("device", "auto"))
        metrics, _ = task.evaluate(model, args)
    print(task.format_metrics(metrics))
