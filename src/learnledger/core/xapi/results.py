"""Result, Score and Attachment objects (xAPI Data 2.4.5 and 2.4.11)."""

from __future__ import annotations

from learnledger.core.xapi.checks import (
    Check,
    Invalid,
    check_bool,
    check_extensions,
    check_fields,
    check_iri,
    check_irl,
    check_lang_map,
    check_number,
    check_str,
    require,
    wrong_type,
)
from learnledger.core.xapi.formats import is_media_type, is_sha2_hex
from learnledger.core.xapi.timestamps import check_duration

_SCORE_FIELDS: dict[str, Check] = dict.fromkeys(("scaled", "raw", "min", "max"), check_number)


def check_score(value: object) -> None:
    """A Score: scaled in [-1, 1]; min < max; min <= raw <= max."""
    if type(value) is not dict:
        raise wrong_type("an object", value)
    check_fields(value, _SCORE_FIELDS)
    scaled = value.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        raise Invalid("must be between -1 and 1").at("scaled")
    low = value.get("min")
    high = value.get("max")
    if low is not None and high is not None and not low < high:
        raise Invalid("must be less than max").at("min")
    raw = value.get("raw")
    if raw is not None:
        if low is not None and raw < low:
            raise Invalid("must not be less than min").at("raw")
        if high is not None and raw > high:
            raise Invalid("must not be greater than max").at("raw")


_RESULT_FIELDS: dict[str, Check] = {
    "score": check_score,
    "success": check_bool,
    "completion": check_bool,
    "response": check_str,
    "duration": check_duration,
    "extensions": check_extensions,
}


def check_result(value: object) -> None:
    """A Result: score, success, completion, response, duration, extensions."""
    if type(value) is not dict:
        raise wrong_type("an object", value)
    check_fields(value, _RESULT_FIELDS)


def _check_content_type(value: object) -> None:
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_media_type(value):
        raise Invalid("must be an Internet media type, e.g. application/pdf")


def _check_length(value: object) -> None:
    if type(value) is not int:
        raise wrong_type("an integer", value)
    if value < 0:
        raise Invalid("must not be negative")


def _check_sha2(value: object) -> None:
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_sha2_hex(value):
        raise Invalid("must be a hex-encoded SHA-2 digest")


_ATTACHMENT_FIELDS: dict[str, Check] = {
    "usageType": check_iri,
    "display": check_lang_map,
    "description": check_lang_map,
    "contentType": _check_content_type,
    "length": _check_length,
    "sha2": _check_sha2,
    "fileUrl": check_irl,
}


def check_attachment(value: object) -> None:
    """Attachment metadata: usageType, display, contentType, length and sha2 are required."""
    if type(value) is not dict:
        raise wrong_type("an Attachment object", value)
    check_fields(value, _ATTACHMENT_FIELDS)
    require(value, "usageType", "display", "contentType", "length", "sha2")
