"""Text that came from a learner, made safe for every place a verdict is shown.

A learner controls their exception messages, layer names, file and folder names: any of
them can hold lone surrogates (which no UTF-8 file can store), terminal escape sequences,
control characters (which XML forbids) or a leading ``=`` (which a spreadsheet runs as a
formula). `clean` is applied once, where learner text enters a verdict
(`kfunc_lessons.core.result.CheckResult`); `file_name` where a name is read from the disk;
`csv_cell` where a cell is written.
"""

from __future__ import annotations

import os
import re

_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?")
# C0 controls but tab and newline, DEL, C1 controls, and the two XML non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
# A lone surrogate: a byte that was not UTF-8 (Python's surrogateescape) or a broken pair.
_SURROGATE = re.compile("[\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: object) -> str:
    """``text`` as valid, printable UTF-8: escape sequences and control characters removed
    (newlines and tabs kept), undecodable characters shown as U+FFFD."""
    text = str(text)
    if text.isprintable():
        return text
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text.replace("\r\n", "\n")))


def file_name(name: str | os.PathLike) -> str:
    """A file or folder name as a person can read it: bytes that are not UTF-8 (a Latin-1
    zip, say) become U+FFFD, control characters are dropped."""
    return clean(os.fsdecode(name))


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula (OWASP's advice:
    a leading ``= + - @``, tab or carriage return gets a ``'`` in front)."""
    text = clean(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
