"""Options as data (``rnnkit.tasks.options.Option``) rendered into argparse."""
from __future__ import annotations

import argparse

from rnnkit.tasks.options import Option


def add_options(parser: argparse.ArgumentParser, options, *, only_given: bool = False) -> None:
    """Add ``options`` to ``parser`` in help sections by their group (training last).  With
    ``only_given`` an option left out of the command line is left out of the parsed namespace too
    (its default is still shown in the help), so that the caller knows what was given."""
    groups: dict[str | None, object] = {}
    exclusive: dict[str, object] = {}
    ranked = sorted(options, key=lambda o: {"data": 0, "model": 1, "training": 3}.get(o.group, 2))
    for opt in ranked:
        if opt.group not in groups:
            groups[opt.group] = parser if opt.group is None else parser.add_argument_group(opt.group)
        target = groups[opt.group]
        if opt.exclusive is not None:
            if opt.exclusive not in exclusive:
                exclusive[opt.exclusive] = target.add_mutually_exclusive_group()
            target = exclusive[opt.exclusive]
        add_option(target, opt, only_given=only_given)


def add_option(target, opt: Option, *, only_given: bool = False) -> argparse.Action:
    positional = not opt.flags[0].startswith("-")
    kwargs = dict(help=opt.help, default=argparse.SUPPRESS if only_given and not positional else opt.default)
    if opt.flag:   # a switch; where its default is None (taken from the data) also --no-NAME
        kwargs["action"] = "store_true" if opt.default is not None else argparse.BooleanOptionalAction
    else:
        if opt.type is not None:
            kwargs["type"] = _argparse_type(opt.type)
        if opt.choices is not None:
            kwargs["choices"] = opt.choices() if callable(opt.choices) else opt.choices
        if opt.metavar is not None:
            kwargs["metavar"] = opt.metavar
        if opt.nargs is not None:
            kwargs["nargs"] = opt.nargs
    if positional:
        action = target.add_argument(opt.dest, **kwargs)
    else:
        action = target.add_argument(*opt.flags, dest=opt.dest, required=opt.required, **kwargs)
    action.shown_default = opt.default   # what the help states as the default
    return action


def _argparse_type(parse):
    """``parse`` with its ValueError message shown by argparse as is (``argument --lr: must be ...``)."""
    if parse in (int, float, str):
        return parse

    def parsed(text: str):
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parsed.__name__ = getattr(parse, "__name__", "value")
    return parsed
