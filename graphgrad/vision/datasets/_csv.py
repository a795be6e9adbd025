"""A vectorised reader for CSV files of non-negative integers (no Python loop per row or field)."""
from __future__ import annotations

import numpy as np

__all__ = ["parse_int_csv"]


def _line_of(buf: np.ndarray, pos: int) -> int:
    return int(np.count_nonzero(buf[:pos] == 10)) + 1


def parse_int_csv(text: bytes, width: int, source: str = "CSV") -> np.ndarray:
    """Parse comma-separated non-negative integers, ``width`` per line, into an int64 array
    (rows, width). A final newline and Windows line ends are accepted.

    Raises ``ValueError`` naming ``source`` and the line for a character that is not a digit, an
    empty field or a row of the wrong width."""
    if b"\r" in text:
        text = text.replace(b"\r", b"")
    text = text.rstrip(b"\n")
    if not text:
        raise ValueError(f"{source}: no data")
    buf = np.frombuffer(text, dtype=np.uint8)
    is_digit = (buf >= 48) & (buf <= 57)
    is_comma = buf == 44
    is_sep = is_comma | (buf == 10)
    bad = ~(is_digit | is_sep)
    if bad.any():
        pos = int(np.argmax(bad))
        raise ValueError(f"{source}: line {_line_of(buf, pos)}: unexpected character "
                         f"{chr(buf[pos])!r}; expected non-negative integers separated by commas")
    empty = np.flatnonzero(is_sep[1:] & is_sep[:-1])  # two separators in a row
    if is_sep[0] or len(empty):
        pos = 0 if is_sep[0] else int(empty[0]) + 1
        raise ValueError(f"{source}: line {_line_of(buf, pos)}: empty field")
    # Field k ends just before separator k (a virtual separator closes the last field).
    sep_pos = np.append(np.flatnonzero(is_sep), len(buf))
    row_last_field = np.flatnonzero(buf[sep_pos[:-1]] == 10)
    fields = np.diff(np.concatenate([[-1], row_last_field, [len(sep_pos) - 1]]))
    wrong = np.flatnonzero(fields != width)
    if len(wrong):
        r = int(wrong[0])
        raise ValueError(f"{source}: line {r + 1} has {int(fields[r])} columns, expected {width}")
    length = np.diff(np.concatenate([[-1], sep_pos])) - 1
    longest = int(length.max())
    if longest > 18:
        raise ValueError(f"{source}: a number has more than 18 digits")
    values = np.zeros(len(sep_pos), dtype=np.int64)
    for j in range(longest):  # one pass per digit position, counted from the right
        pos = sep_pos - 1 - j
        digit = buf[np.maximum(pos, 0)].astype(np.int64) - 48
        values += np.where(j < length, digit, 0) * 10 ** j
    return values.reshape(len(row_last_field) + 1, width)
