"""String formats of the xAPI data model: IRIs, UUIDs, mailto IRIs, language tags, hashes.

Each predicate answers "does this string follow the format?" as cheaply as possible: the
regular expressions are compiled once, and strings that repeat across statements (verb ids,
activity ids, extension keys, language tags) are remembered in bounded sets of known-good
values, so the common case is one set lookup instead of a regex match.
"""

from __future__ import annotations

import re

# An absolute IRI: a scheme, a colon and at least one character, with none of the characters
# RFC 3987 excludes (spaces, controls, <>"{}|\^`). Best-effort, as Data 2.2 allows.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MBOX = re.compile(r"mailto:[^\s@<>\"]+@[^\s@<>\"]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
# SHA-224, SHA-256, SHA-384 and SHA-512 digests in hex.
_SHA2 = re.compile(r"[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}")
# RFC 2046 media type with optional parameters.
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~\-]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\]|\\.)*\"))*\s*"
)

# RFC 5646 language tag (case-insensitive), including the grandfathered tags.
_LANGTAG = re.compile(
    r"""
    (?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})   # language (+ extlang)
      (?:-[a-z]{4})?                                         # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                            # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*               # variants
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*                    # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                             # private use
    | x(?:-[a-z0-9]{1,8})+                                   # private use only
    | en-gb-oed | i-ami | i-bnn | i-default | i-enochian | i-hak | i-klingon | i-lux
    | i-mingo | i-navajo | i-pwn | i-tao | i-tay | i-tsu | sgn-be-fr | sgn-be-nl | sgn-ch-de
    | art-lojban | cel-gaulish | no-bok | no-nyn | zh-guoyu | zh-hakka | zh-min | zh-min-nan
    | zh-xiang
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)

#: Upper bound of each cache of known-good strings; a full cache is cleared, not grown.
CACHE_LIMIT = 50_000

_known_iris: set[str] = set()
_known_lang_tags: set[str] = set()


def is_iri(value: str) -> bool:
    """True when `value` is an absolute IRI (scheme ``:`` rest, no forbidden characters)."""
    if value in _known_iris:
        return True
    if _IRI.fullmatch(value) is None:
        return False
    if len(_known_iris) >= CACHE_LIMIT:
        _known_iris.clear()
    _known_iris.add(value)
    return True


def is_uuid(value: str) -> bool:
    """True when `value` is a UUID in the standard 8-4-4-4-12 hex string form."""
    return len(value) == 36 and _UUID.fullmatch(value) is not None


def is_mbox(value: str) -> bool:
    """True when `value` is a ``mailto:`` IRI holding one e-mail address."""
    return _MBOX.fullmatch(value) is not None


def is_sha1_hex(value: str) -> bool:
    """True when `value` is a hex-encoded SHA-1 digest (40 hex digits)."""
    return _SHA1.fullmatch(value) is not None


def is_sha2_hex(value: str) -> bool:
    """True when `value` is a hex-encoded SHA-224/256/384/512 digest."""
    return _SHA2.fullmatch(value) is not None


def is_media_type(value: str) -> bool:
    """True when `value` is an Internet media type such as ``text/plain; charset=utf-8``."""
    return _MEDIA_TYPE.fullmatch(value) is not None


def is_lang_tag(value: str) -> bool:
    """True when `value` is an RFC 5646 language tag (``en``, ``en-US``, ``zh-Hant-TW``...)."""
    if value in _known_lang_tags:
        return True
    if _LANGTAG.fullmatch(value) is None:
        return False
    if len(_known_lang_tags) >= CACHE_LIMIT:
        _known_lang_tags.clear()
    _known_lang_tags.add(value)
    return True
