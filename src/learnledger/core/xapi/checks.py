"""Building blocks of the statement validator: the failure signal and the primitive checks.

A failed rule raises `Invalid` at the node where it failed; each enclosing object or array
adds its key or index while the exception travels up (`Invalid.at`), so a valid statement
costs no path strings at all and an invalid one reports the exact path, e.g.
``statement.result.score.scaled``. `learnledger.core.xapi.validation` turns it into the
public `learnledger.errors.ValidationError`.

Checks never coerce: ``True`` is not a number, ``"true"`` is not a boolean, ``1`` is not a
string, and ``null`` is rejected everywhere except inside extension values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from learnledger.core.xapi.formats import is_iri, is_lang_tag, is_uuid

#: A check receives one JSON value and raises `Invalid` when it breaks a rule.
Check = Callable[[Any], None]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Invalid(Exception):  # noqa: N818 - an internal signal, converted to ValidationError
    """A rule failed; `parts` holds the path from the failing node upwards (innermost first)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parts: list[str | int] = []

    def at(self, part: str | int) -> Invalid:
        """Prefix the path with `part` (an object key or array index); return self."""
        self.parts.append(part)
        return self

    def path(self, root: str) -> str:
        """The full path below `root`, e.g. ``statement[3].result.score.scaled``."""
        out = [root]
        for part in reversed(self.parts):
            if type(part) is int:
                out.append(f"[{part}]")
            elif _PLAIN_KEY.fullmatch(part):  # type: ignore[arg-type]
                out.append(f".{part}")
            else:
                out.append(f"[{orjson.dumps(part).decode()}]")
        return "".join(out)


_JSON_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "an array",
    dict: "an object",
}


def wrong_type(expected: str, value: object) -> Invalid:
    """The failure for `value` having the wrong JSON type (or being null)."""
    if value is None:
        return Invalid("must not be null")
    got = _JSON_TYPES.get(type(value), type(value).__name__)
    return Invalid(f"must be {expected}, not {got}")


def check_str(value: object) -> None:
    """Any JSON string."""
    if type(value) is not str:
        raise wrong_type("a string", value)


def check_bool(value: object) -> None:
    """A JSON boolean (``"true"`` and ``1`` are not booleans)."""
    if type(value) is not bool:
        raise wrong_type("a boolean", value)


def check_number(value: object) -> None:
    """A JSON number (booleans and numeric strings are not numbers)."""
    if type(value) is not int and type(value) is not float:
        raise wrong_type("a number", value)


def check_iri(value: object) -> None:
    """An absolute IRI."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_iri(value):
        raise Invalid("must be an absolute IRI")


def check_irl(value: object) -> None:
    """An IRL: an absolute IRI meant to be resolvable."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_iri(value):
        raise Invalid("must be an absolute IRL")


def check_uuid(value: object) -> None:
    """A UUID in standard string form."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_uuid(value):
        raise Invalid("must be a UUID in standard string form")


def check_lang_tag(value: object) -> None:
    """An RFC 5646 language tag."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_lang_tag(value):
        raise Invalid("must be an RFC 5646 language tag")


def check_lang_map(value: object) -> None:
    """A language map: RFC 5646 tags to strings."""
    if type(value) is not dict:
        raise wrong_type("a language map object", value)
    for tag, text in value.items():
        if not is_lang_tag(tag):
            raise Invalid("is not an RFC 5646 language tag").at(tag)
        if type(text) is not str:
            raise wrong_type("a string", text).at(tag)


def check_extensions(value: object) -> None:
    """An extensions map: IRI keys; values are free, null included."""
    if type(value) is not dict:
        raise wrong_type("an object", value)
    for key in value:
        if not is_iri(key):
            raise Invalid("extension keys must be absolute IRIs").at(key)


def check_array_of(check: Check, *, non_empty: bool = False) -> Check:
    """A check for a JSON array whose items each pass `check`."""

    def check_array(value: object) -> None:
        if type(value) is not list:
            raise wrong_type("an array", value)
        if non_empty and not value:
            raise Invalid("must not be empty")
        for index, item in enumerate(value):
            try:
                check(item)
            except Invalid as exc:
                raise exc.at(index) from None

    return check_array


def check_constant(expected: str) -> Check:
    """A check that the value is exactly the string `expected` (case-sensitive)."""

    def check_exact(value: object) -> None:
        if type(value) is not str:
            raise wrong_type("a string", value)
        if value != expected:
            raise Invalid(f"must be {expected!r}")

    return check_exact


def not_allowed(reason: str) -> Check:
    """A check that always fails: the property may not appear here."""

    def refuse(value: object) -> None:
        raise Invalid(reason)

    return refuse


def check_fields(obj: dict[str, Any], fields: Mapping[str, Check]) -> None:
    """Check each property of `obj` with its entry in `fields`; unknown keys are rejected."""
    for key, value in obj.items():
        try:
            fields[key](value)
        except Invalid as exc:
            raise exc.at(key) from None
        except KeyError:
            if key in fields:  # a KeyError from inside the check: not ours
                raise
            raise Invalid(_unknown_key_reason(key, fields)).at(key) from None


def memoized(check: Check, size: int = 4096) -> Check:
    """`check` remembering the JSON texts of the objects that passed it (at most `size`; a
    full memory is cleared, not grown), for values parsed from JSON text only: two such
    values with the same serialisation are the same JSON value, so they pass or fail alike.
    (Python values that are not JSON types, such as tuples, could serialise like a valid
    value, hence the restriction.) Failures are not remembered: they raise as before."""
    passed: set[bytes] = set()
    dumps = orjson.dumps

    def check_memoized(value: object) -> None:
        if type(value) is not dict:
            check(value)
            return
        try:
            key = dumps(value)
        except orjson.JSONEncodeError:
            check(value)
            return
        if key in passed:
            return
        check(value)
        if len(passed) >= size:
            passed.clear()
        passed.add(key)

    return check_memoized


def require(obj: dict[str, Any], *keys: str) -> None:
    """Fail at the first of `keys` that `obj` lacks."""
    for key in keys:
        if key not in obj:
            raise Invalid("is required").at(key)


def _unknown_key_reason(key: str, fields: Mapping[str, Check]) -> str:
    for known in fields:
        if known.lower() == key.lower():
            return f"unknown property (property names are case-sensitive: use {known!r})"
    return "unknown property"
