"""A small, tolerant JSON-like value parser (no ``eval``, no ``ast``) and the matching renderer.

Accepted beyond JSON, because planners write it: single-quoted strings, Python ``True``/``False``/``None``,
trailing commas, bare identifier keys, and (``bare_words=True``, for ``tool(param=value)`` arguments)
bare identifier values read as strings (``target_time=sunset_golden``). Nesting is limited to
`MAX_DEPTH` so adversarial input cannot exhaust the Python stack; numbers are limited in length so
huge digit strings cannot hit ``int`` conversion limits. Errors carry the character offset and whether
the input ended too early (a truncated value), which the plan parser uses to drop a cut-off last step.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64

_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_STRING_CHUNK = {'"': re.compile(r'[^"\\]*'), "'": re.compile(r"[^'\\]*")}
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class ValueSyntaxError(Exception):
    """Internal: malformed value at ``position``; ``at_end`` means the text ended inside the value."""

    def __init__(self, position: int, reason: str, at_end: bool = False) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason
        self.at_end = at_end
        self.start = position  # where the enclosing value began (set by callers that know it)


class ValueParser:
    """Parses values out of ``text``. ``object_starts`` maps ``id(dict)`` of parsed objects to their offset."""

    def __init__(self, text: str, *, bare_words: bool = False, max_depth: int = MAX_DEPTH) -> None:
        self.text = text
        self.bare_words = bare_words
        self.max_depth = max_depth
        self.object_starts: dict[int, int] = {}
        self._keep: list[Any] = []  # keeps parsed dicts alive so their ids in object_starts stay unique

    def skip_ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def _fail(self, pos: int, reason: str) -> ValueSyntaxError:
        at_end = pos >= len(self.text)
        return ValueSyntaxError(pos, "unexpected end of text" if at_end else reason, at_end)

    def parse(self, pos: int, depth: int = 0) -> tuple[Any, int]:
        """Parses one value starting at ``pos`` (after optional whitespace); returns (value, end offset)."""
        text = self.text
        pos = self.skip_ws(pos)
        if pos >= len(text):
            raise self._fail(pos, "expected a value")
        char = text[pos]
        if char in "\"'":
            return self._string(pos)
        if char == "[":
            return self._array(pos, depth)
        if char == "{":
            return self._object(pos, depth)
        if char in "+-.0123456789":
            return self._number(pos)
        match = _IDENT.match(text, pos)
        if match:
            word = match.group()
            if word in _LITERALS:
                return _LITERALS[word], match.end()
            if match.end() >= len(text) and any(lit.startswith(word) for lit in _LITERALS):
                raise ValueSyntaxError(pos, "unexpected end of text", at_end=True)
            if self.bare_words:
                return word, match.end()
            raise ValueSyntaxError(pos, f"unexpected word {word[:40]!r}; strings must be quoted")
        raise ValueSyntaxError(pos, f"unexpected character {char!r}")

    def _string(self, pos: int) -> tuple[str, int]:
        text, quote = self.text, self.text[pos]
        chunk = _STRING_CHUNK[quote]
        parts: list[str] = []
        i = pos + 1
        while True:
            match = chunk.match(text, i)
            parts.append(match.group())  # type: ignore[union-attr]
            i = match.end()  # type: ignore[union-attr]
            if i >= len(text):
                raise ValueSyntaxError(pos, "unterminated string", at_end=True)
            if text[i] == quote:
                return "".join(parts), i + 1
            # a backslash escape
            if i + 1 >= len(text):
                raise ValueSyntaxError(pos, "unterminated string", at_end=True)
            esc = text[i + 1]
            if esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
                i += 2
            elif esc == "u":
                code, i = self._unicode_escape(i)
                parts.append(code)
            else:  # unknown escape: keep it verbatim (tolerance for model output)
                parts.append("\\" + esc)
                i += 2

    def _unicode_escape(self, i: int) -> tuple[str, int]:
        text = self.text
        digits = text[i + 2 : i + 6]
        if len(digits) < 4 and i + 2 + len(digits) >= len(text):
            raise ValueSyntaxError(i, "unterminated string", at_end=True)
        if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
            raise ValueSyntaxError(i, "invalid \\u escape")
        code = int(digits, 16)
        end = i + 6
        # A surrogate pair written as two escapes is one character (as json.loads reads it).
        if 0xD800 <= code < 0xDC00 and text[end : end + 2] == "\\u":
            low_digits = text[end + 2 : end + 6]
            if re.fullmatch(r"[0-9a-fA-F]{4}", low_digits) and 0xDC00 <= int(low_digits, 16) < 0xE000:
                low = int(low_digits, 16)
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), end + 6
        return chr(code), end

    def _number(self, pos: int) -> tuple[int | float, int]:
        match = _NUMBER.match(self.text, pos)
        if not match:
            raise self._fail(pos + 1, "invalid number")
        token, end = match.group(), match.end()
        if len(token) > MAX_NUMBER_CHARS:
            raise ValueSyntaxError(pos, f"number longer than {MAX_NUMBER_CHARS} characters")
        if end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_"):
            raise ValueSyntaxError(pos, f"invalid number {self.text[pos : end + 1]!r}")
        if re.fullmatch(r"[+-]?\d+", token):
            return int(token), end
        value = float(token)
        if not math.isfinite(value):
            raise ValueSyntaxError(pos, f"number {token!r} is out of range")
        return value, end

    def _enter(self, pos: int, depth: int) -> None:
        if depth >= self.max_depth:
            raise ValueSyntaxError(pos, f"values nested deeper than {self.max_depth} levels")

    def _array(self, pos: int, depth: int) -> tuple[list[Any], int]:
        self._enter(pos, depth)
        items: list[Any] = []
        i = self.skip_ws(pos + 1)
        while True:
            if i < len(self.text) and self.text[i] == "]":
                return items, i + 1
            value, i = self.parse(i, depth + 1)
            items.append(value)
            i = self.skip_ws(i)
            if i < len(self.text) and self.text[i] == ",":
                i = self.skip_ws(i + 1)
            elif i < len(self.text) and self.text[i] == "]":
                return items, i + 1
            else:
                raise self._fail(i, "expected ',' or ']'")

    def _object(self, pos: int, depth: int) -> tuple[dict[str, Any], int]:
        self._enter(pos, depth)
        obj: dict[str, Any] = {}
        self.object_starts[id(obj)] = pos
        self._keep.append(obj)
        text = self.text
        i = self.skip_ws(pos + 1)
        while True:
            if i < len(text) and text[i] == "}":
                return obj, i + 1
            key, i = self._key(i)
            i = self.skip_ws(i)
            if i >= len(text) or text[i] != ":":
                raise self._fail(i, "expected ':' after an object key")
            value, i = self.parse(i + 1, depth + 1)
            if key in obj:
                raise ValueSyntaxError(i, f"duplicate key {key[:40]!r}")
            obj[key] = value
            i = self.skip_ws(i)
            if i < len(text) and text[i] == ",":
                i = self.skip_ws(i + 1)
            elif i < len(text) and text[i] == "}":
                return obj, i + 1
            else:
                raise self._fail(i, "expected ',' or '}'")

    def _key(self, i: int) -> tuple[str, int]:
        if i < len(self.text) and self.text[i] in "\"'":
            return self._string(i)
        match = _IDENT.match(self.text, i)
        if match:
            return match.group(), match.end()
        raise self._fail(i, "expected an object key")


def parse_value(text: str) -> Any:
    """Parses ``text`` as exactly one value (surrounding whitespace allowed); raises ValueSyntaxError."""
    parser = ValueParser(text)
    value, end = parser.parse(0)
    end = parser.skip_ws(end)
    if end != len(text):
        raise ValueSyntaxError(end, "unexpected text after the value")
    return value


def render_value(value: Any) -> str:
    """JSON text of a value (``ensure_ascii=False``; NaN/inf refused): what `ValueParser` reads back."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
