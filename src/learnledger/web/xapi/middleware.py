"""ASGI middleware of the xAPI mount: CORS, the 1.0.3 alternate request syntax, and the xAPI
headers on every response (the router's own 404 and 405 included).

Alternate request syntax (xAPI 1.0.3 Communication 1.3): ``POST /xapi/statements?method=PUT``
with an ``application/x-www-form-urlencoded`` body whose fields are the headers
(Authorization, X-Experience-API-Version, Content-Type, Content-Length, If-Match,
If-None-Match), the ``content`` (the real body) and the other parameters. The middleware
rewrites such a request into the request it stands for, so the resource handlers never see
it. xAPI 2.0 removed the syntax: a ``method`` parameter in a 2.0 request is answered 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnledger.errors import LearnLedgerError, PayloadTooLargeError, ValidationError
from learnledger.web.xapi.protocol import (
    CORS_HEADERS,
    VERSION_HEADER,
    error_response,
    negotiate_version,
    respond,
    xapi_headers,
)

#: Form fields of the alternate syntax that are headers (lower-case).
FORM_HEADERS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)
ALTERNATE_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})
ALLOWED_METHODS = "HEAD, GET, POST, PUT, DELETE, OPTIONS"
ALLOWED_HEADERS = (
    "Origin, Content-Type, Content-Length, Authorization, X-Experience-API-Version, "
    "If-Match, If-None-Match, Accept-Language, X-Requested-With"
)


class XAPIMiddleware:
    """Wraps the xAPI router: preflight, alternate syntax, headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        version = _version_or_none(headers.get(VERSION_HEADER))
        if scope["method"] == "OPTIONS":
            await _preflight(headers, version)(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if any(name == "method" for name, _ in query):
            try:
                scope, receive = await _undo_alternate_syntax(scope, receive, headers, query)
            except LearnLedgerError as exc:
                await error_response(exc, version)(scope, receive, send)
                return
            version = _version_or_none(Headers(scope=scope).get(VERSION_HEADER)) or version

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                for name, value in xapi_headers(version).items():
                    if name.lower().encode() not in present:
                        raw.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": raw}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except HTTPException as exc:  # the router's 404 and 405
            message = {"error": f"{exc.detail}: {scope['method']} {scope.get('path', '')}"}
            response = respond(None, message, status=exc.status_code, headers=exc.headers)
            if version is not None:
                response.headers[VERSION_HEADER] = version
            await response(scope, receive, send_with_headers)


def _version_or_none(header: str | None) -> str | None:
    try:
        return negotiate_version(header)
    except ValidationError:
        return None


def _preflight(headers: Headers, version: str | None) -> Any:
    """The answer to an OPTIONS (CORS preflight) request: 200 with what may be sent."""
    response = respond(None, None, status=200)
    response.headers.update(
        {
            **CORS_HEADERS,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": headers.get(
                "access-control-request-headers", ALLOWED_HEADERS
            ),
            "Access-Control-Max-Age": "86400",
            "Allow": ALLOWED_METHODS,
        }
    )
    if version is not None:
        response.headers[VERSION_HEADER] = version
    return response


async def _undo_alternate_syntax(
    scope: Scope, receive: Receive, headers: Headers, query: list[tuple[str, str]]
) -> tuple[Scope, Receive]:
    """The scope and receive of the request an alternate-syntax request stands for."""
    requested = next(value for name, value in query if name == "method").upper()
    if scope["method"] != "POST":
        raise ValidationError("method", "the alternate request syntax must be sent with POST")
    if _version_or_none(headers.get(VERSION_HEADER)) == "2.0.0":
        raise ValidationError("method", "the alternate request syntax was removed in xAPI 2.0")
    if len(query) > 1:
        extra = next(name for name, _ in query if name != "method")
        raise ValidationError(
            extra, "the alternate request syntax allows only 'method' in the query string"
        )
    if requested not in ALTERNATE_METHODS:
        raise ValidationError("method", f"must be one of {', '.join(sorted(ALTERNATE_METHODS))}")
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise ValidationError(
            "Content-Type", "the alternate request syntax needs application/x-www-form-urlencoded"
        )
    form = await _read_form(scope, receive)
    header_fields = {name.lower(): value for name, value in form if name.lower() in FORM_HEADERS}
    content = next((value for name, value in form if name == "content"), None)
    params = [(name, value) for name, value in form if name.lower() not in FORM_HEADERS]
    params = [(name, value) for name, value in params if name != "content"]
    if content is None and requested in ("PUT", "POST") and not _is_query_post(requested, form):
        raise ValidationError("content", "form field is required for PUT and POST")
    if _version_or_none(header_fields.get("x-experience-api-version")) == "2.0.0":
        raise ValidationError("method", "the alternate request syntax was removed in xAPI 2.0")
    body = (content or "").encode("utf-8")
    merged = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope["headers"]
        if name.decode("latin-1").lower() not in ("content-type", "content-length")
    }
    merged.update(header_fields)
    merged["content-length"] = str(len(body))
    if content is not None:
        merged.setdefault("content-type", "application/json")
    new_scope = {
        **scope,
        "method": requested,
        "query_string": urlencode(params).encode("latin-1"),
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1", "replace"))
            for name, value in merged.items()
        ],
    }
    sent = False

    async def new_receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return new_scope, new_receive


def _is_query_post(requested: str, form: list[tuple[str, str]]) -> bool:
    """A POST without content is a statements query sent as POST (form fields = params)."""
    return requested == "POST" and any(name != "content" for name, _ in form)


async def _read_form(scope: Scope, receive: Receive) -> list[tuple[str, str]]:
    """The url-encoded form of the request body (UTF-8), within the body size limit."""
    limit: int = scope["app"].state.settings.lrs_max_body_bytes
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("body", "the form is not valid UTF-8") from None
    return parse_qsl(text, keep_blank_values=True)
