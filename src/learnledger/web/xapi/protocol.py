"""The xAPI HTTP protocol shared by every LRS resource.

A resource handler is an ``async def handler(request) -> Response`` decorated with
`xapi_endpoint` (any exception becomes an xAPI error response). It starts with `begin`, which
checks the version header, authenticates, checks the scope and reads the body, and ends with
`respond`::

    @xapi_endpoint
    async def get_thing(request: Request) -> Response:
        x = await begin(request, scope="state")
        check_params(x, allowed={"activityId"}, required={"activityId"})
        data = await run_in_threadpool(service.get, x.params["activityId"])
        return respond(x, data)

The alternate request syntax of xAPI 1.0.3 (``POST ?method=PUT`` with form fields) is undone
before the handler runs by `learnledger.web.xapi.middleware.XAPIMiddleware`, so `begin` and
the handler see an ordinary request with the effective method, headers and body.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from learnledger.errors import (
    AuthenticationError,
    LearnLedgerError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ValidationError,
    http_status_for,
)
from learnledger.lrs.credentials import Credential, CredentialStore, anonymous_credential

logger = logging.getLogger("learnledger.xapi")

VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_THROUGH_HEADER = "X-Experience-API-Consistent-Through"
#: The versions the LRS speaks, as answered in ``X-Experience-API-Version`` and by About.
SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")
# Answer requests without a usable version header in the oldest version we speak: every
# 1.0.x and 2.0 client understands it (and the 1.0.3 conformance suite insists on it).
DEFAULT_VERSION = "1.0.3"
#: The response headers browsers may read (CORS).
EXPOSED_HEADERS = (
    "ETag, Last-Modified, Location, Content-Type, Content-Length, "
    f"{VERSION_HEADER}, {CONSISTENT_THROUGH_HEADER}"
)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
}
WWW_AUTHENTICATE = 'Basic realm="LearnLedger xAPI", charset="UTF-8"'

_VERSION_1 = re.compile(r"1\.0(?:\.\d+)?")
_VERSION_2 = re.compile(r"2\.0(?:\.\d+)?")
_READ_METHODS = frozenset({"GET", "HEAD"})

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class XAPIRequest:
    """An xAPI request after `begin`: version, credential, parameters, headers and body.

    `params` and `headers` already include what the alternate request syntax carried in its
    form fields; `headers` is case-insensitive; `method` is the effective method.
    """

    version: str
    credential: Credential
    authority: dict[str, Any]
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    content_type: str
    method: str
    request: Request

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-cased (``""`` when absent)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def is_read(self) -> bool:
        """True for GET and HEAD."""
        return self.method in _READ_METHODS

    @property
    def v2(self) -> bool:
        """True when the request speaks xAPI 2.0."""
        return self.version.startswith("2.")

    def json(self, what: str = "body") -> Any:
        """The body parsed as JSON (UTF-8); `ValidationError` naming `what` otherwise."""
        return parse_json(self.body, what)


def negotiate_version(header: str | None) -> str:
    """The supported version (``"1.0.3"`` or ``"2.0.0"``) a version header asks for.

    ``1.0``, ``1.0.x`` speak 1.0.3 and ``2.0``, ``2.0.x`` speak 2.0.0; anything else, or no
    header, is a `ValidationError`.
    """
    if header is None:
        raise ValidationError(VERSION_HEADER, "header is required")
    value = header.strip()
    if _VERSION_2.fullmatch(value):
        return "2.0.0"
    if _VERSION_1.fullmatch(value):
        return "1.0.3"
    raise ValidationError(
        VERSION_HEADER, f"unsupported version {value[:20]!r}; supported: 1.0.x and 2.0.x"
    )


def response_version(request: Request) -> str:
    """The version to answer `request` in: the one it asked for; without a usable version
    header, the one its credential last spoke (see `remember_version`), else
    `DEFAULT_VERSION`."""
    try:
        return negotiate_version(request.headers.get(VERSION_HEADER))
    except ValidationError:
        pass
    header = request.headers.get("authorization")
    spoken: dict[str, str] | None = getattr(request.app.state, "xapi_versions", None)
    if header is None or not spoken:
        return DEFAULT_VERSION
    try:
        key, _ = parse_basic(header)
    except AuthenticationError:
        return DEFAULT_VERSION
    return spoken.get(key, DEFAULT_VERSION)


def remember_version(request: Request, key: str, version: str) -> None:
    """Note that credential `key` speaks `version`, so that its requests without a usable
    version header are answered (400) in the version it speaks."""
    state = request.app.state
    spoken: dict[str, str] | None = getattr(state, "xapi_versions", None)
    if spoken is None:
        spoken = state.xapi_versions = {}
    if spoken.get(key) != version:
        if len(spoken) > 10_000:
            spoken.clear()
        spoken[key] = version


async def begin(request: Request, *, scope: str) -> XAPIRequest:
    """Check and read an xAPI request that needs `scope` (e.g. ``"statements/write"``).

    In order: the version header (400), authentication (401, or the anonymous credential
    when ``lrs_allow_anonymous`` is set and no Authorization header came), the scope (403;
    GET and HEAD count as reads, which ``all/read`` allows) and the body (413 above
    ``lrs_max_body_bytes``).
    """
    headers = request.headers
    version = negotiate_version(headers.get(VERSION_HEADER))
    method = request.method.upper()
    credential = authenticate(request)
    remember_version(request, credential.key, version)
    if not credential.allows(scope, read=method in _READ_METHODS):
        raise PermissionDeniedError(f"the credential lacks the scope {scope!r} for {method}")
    body = await read_body(request)
    return XAPIRequest(
        version=version,
        credential=credential,
        authority=credential.authority,
        params=dict(request.query_params.items()),
        headers=headers,
        body=body,
        content_type=headers.get("content-type", ""),
        method=method,
        request=request,
    )


def authenticate(request: Request) -> Credential:
    """The credential of the request's HTTP Basic Authorization header."""
    settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header is None:
        if settings.lrs_allow_anonymous:
            return anonymous_credential(settings.lrs_base_url)
        raise AuthenticationError("authentication required: use HTTP Basic with a credential")
    key, secret = parse_basic(header)
    return credential_store(request).authenticate(key, secret)


def parse_basic(header: str) -> tuple[str, str]:
    """(user, password) of an HTTP Basic Authorization header; `AuthenticationError` if it
    is malformed."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise AuthenticationError("the Authorization header must be HTTP Basic")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("the Authorization header is not valid Basic base64") from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise AuthenticationError("the Authorization header must hold user:password")
    return user, password


def credential_store(request: Request) -> CredentialStore:
    """The app's `CredentialStore`, created on first use."""
    state = request.app.state
    store: CredentialStore | None = getattr(state, "credentials", None)
    if store is None:
        store = state.credentials = CredentialStore(state.engine)
    return store


async def read_body(request: Request) -> bytes:
    """The whole request body, or `PayloadTooLargeError` beyond ``lrs_max_body_bytes``."""
    limit: int = request.app.state.settings.lrs_max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(f"the body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ValidationError("body", "the client disconnected before sending it") from None
    return b"".join(chunks)


def parse_json(body: bytes, what: str = "body") -> Any:
    """`body` parsed as JSON; `ValidationError` naming `what` when it is not UTF-8 JSON."""
    if not body.strip():
        raise ValidationError(what, "is empty; JSON expected")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(what, f"is not valid UTF-8 JSON ({exc.msg})") from None


def check_params(
    x: XAPIRequest, *, allowed: Collection[str], required: Collection[str] = ()
) -> None:
    """`ValidationError` for a parameter outside `allowed` or a missing `required` one."""
    for name in x.params:
        if name not in allowed:
            raise ValidationError(name, "is not a parameter of this resource")
    for name in required:
        if name not in x.params:
            raise ValidationError(name, "parameter is required")


def consistent_through() -> str:
    """The ``X-Experience-API-Consistent-Through`` value: every write committed before the
    response is visible, so it is now."""
    return format_instant(datetime.now(UTC))


def format_instant(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds: ``2025-02-03T10:40:01.123Z``.

    Formatted field by field: every xAPI response carries one or two of these, and
    `datetime.strftime` goes through the C library (which may consult the time zone files)."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}."
        f"{m.microsecond // 1000:03d}Z"
    )


def xapi_headers(version: str | None) -> dict[str, str]:
    """The headers every xAPI response carries: version, Consistent-Through and CORS."""
    return {
        VERSION_HEADER: version or DEFAULT_VERSION,
        CONSISTENT_THROUGH_HEADER: consistent_through(),
        **CORS_HEADERS,
    }


def respond(
    x: XAPIRequest | None,
    body: bytes | str | dict[str, Any] | list[Any] | None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> Response:
    """An xAPI response: dicts and lists become JSON, None an empty body (use 204).

    Adds `xapi_headers`; for HEAD the body is left out but Content-Length stays the GET one.
    """
    if isinstance(body, dict | list):
        payload = orjson.dumps(body)
        media = content_type or "application/json"
    elif isinstance(body, str):
        payload = body.encode()
        media = content_type or "text/plain; charset=utf-8"
    else:
        payload = body or b""
        media = content_type or ("application/octet-stream" if payload else "")
    out = xapi_headers(x.version if x is not None else None)
    if headers:
        out.update(headers)
    if media:
        out["Content-Type"] = media
    if x is not None and x.method == "HEAD":
        out["Content-Length"] = str(len(payload))
        return Response(b"", status_code=status, headers=out)
    return Response(payload, status_code=status, headers=out)


def error_response(exc: Exception, version: str | None) -> Response:
    """The xAPI error response for `exc`: ``{"error": ..., "path": ...}`` with the status
    `http_status_for` maps it to; unexpected exceptions are logged and answered 500."""
    if isinstance(exc, LearnLedgerError):
        status = http_status_for(exc)
        message: dict[str, Any] = {"error": str(exc)}
        if isinstance(exc, ValidationError):
            message = {"error": exc.reason, "path": exc.path}
        if status >= 500:
            logger.error("xAPI request failed: %s", type(exc).__name__, exc_info=exc)
    else:
        status = 500
        message = {"error": "internal error; the server log has the details"}
        # Only the type and traceback: the exception text may quote personal data.
        logger.error("unexpected error in an xAPI request: %s", type(exc).__name__, exc_info=exc)
    extra = {"WWW-Authenticate": WWW_AUTHENTICATE} if status == 401 else None
    response = respond(None, message, status=status, headers=extra)
    response.headers[VERSION_HEADER] = version or DEFAULT_VERSION
    return response


def xapi_endpoint(handler: Handler) -> Handler:
    """Decorate a resource handler so that every exception becomes `error_response`."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:
            return error_response(exc, response_version(request))

    return wrapped
