"""The help formatter of every ``rnnkit`` command and subcommand (one class, used by all)."""
from __future__ import annotations

import argparse
import re

_STATES_DEFAULT = re.compile(r"\bdefault\b|%\(default\)", re.IGNORECASE)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with ``(default: X)`` after an option's help, except where the help text
    already states its default (it says "default") or where there is none (None); descriptions
    are wrapped paragraph by paragraph (blank lines separate paragraphs).  An action's
    ``shown_default``, where it has one, is the default stated (its own default may be
    argparse.SUPPRESS, to tell given options from defaulted ones)."""

    def __init__(self, prog, indent_increment=2, max_help_position=32, width=None):
        super().__init__(prog, indent_increment, max_help_position, width)

    def _get_help_string(self, action):
        default = getattr(action, "shown_default", action.default)
        optional = action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE)
        if default is None or default is argparse.SUPPRESS or not optional or _STATES_DEFAULT.search(action.help or ""):
            return action.help
        return f"{action.help} (default: {str(default).replace('%', '%%')})"

    def _fill_text(self, text, width, indent):
        return "\n\n".join(super(HelpFormatter, self)._fill_text(paragraph, width, indent)
                           for paragraph in re.split(r"\n\s*\n", text.strip()))
