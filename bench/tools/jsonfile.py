"""Reading the bench tools' JSON input files with errors that name the file."""
import json


class InputError(ValueError):
    """A bad input file: the message names it; the tools exit 2 with it."""


def read_json(path):
    """The parsed document of `path`; InputError naming it when it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not JSON ({e.msg}, line {e.lineno})") from None
