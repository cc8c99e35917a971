"""Errors about the user's input: the command line reports them as one line, exit status 2."""


class RnnkitError(Exception):
    """A problem with the user's files, options or run directory, stated so it can be fixed."""


class DataError(RnnkitError, ValueError):
    """Unreadable, empty or malformed input data; the message names the file and line."""
