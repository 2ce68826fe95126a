"""Who is asking, and may they: the session middleware, CSRF checks and route guards.

Every route of the web app and its API is declared `public` or `guarded(capability)`; a test
fails for a route that is neither. The middleware resolves the session cookie to an actor on
each request (outside ``/xapi``, which has its own credentials), refuses state-changing
requests without the session's CSRF token, and adds security headers.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnledger.governance.access import Capability, decide
from learnledger.governance.actors import Actor
from learnledger.governance.sessions import SessionManager
from learnledger.web.rendering import html_response

SESSION_COOKIE = "ll_session"
LOGIN_CSRF_COOKIE = "ll_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OWN_CREDENTIALS = ("/xapi", "/static", "/health")
_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
}

Endpoint = Callable[[Request], Awaitable[Response]]


class SessionMiddleware:
    """Resolves the session cookie to ``request.state.actor`` and enforces CSRF tokens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one request (HTTP only; other scopes pass through)."""
        if scope["type"] != "http" or scope["path"].startswith(_OWN_CREDENTIALS):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        sessions: SessionManager = request.app.state.sessions
        token = request.cookies.get(SESSION_COOKIE, "")
        actor = await run_in_threadpool(sessions.resolve, token) if token else None
        scope.setdefault("state", {})
        scope["state"]["actor"] = actor
        scope["state"]["csrf_token"] = sessions.csrf_token(token) if actor else None
        if request.method in _UNSAFE and scope["path"] != "/login":
            body = await request.body()
            presented = request.headers.get(CSRF_HEADER) or form_value(body, CSRF_FIELD)
            if actor is None or not sessions.csrf_matches(token, presented):
                response = _refusal(request, 403, "missing or wrong CSRF token")
                await response(scope, receive, send)
                return
            receive = _replay(body)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                for name, value in _HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if actor is not None:
                    headers.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def form_value(body: bytes, field: str) -> str | None:
    """The first value of `field` in a URL-encoded form body, or None."""
    values = parse_qs(body.decode("utf-8", errors="replace")).get(field)
    return values[0] if values else None


def current_actor(request: Request) -> Actor | None:
    """The signed-in actor of `request`, or None."""
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else None


def guarded_actor(request: Request) -> Actor:
    """The signed-in actor of a request a guard (`guarded`, `signed_in`) has let through."""
    actor = current_actor(request)
    assert actor is not None  # the guard let only signed-in actors through
    return actor


async def audit_request(
    request: Request, action: str, target: str, details: Mapping[str, object]
) -> None:
    """Write what the signed-in actor did through this request to the audit log (the request's
    path is added to `details`; details must hold no names or e-mails)."""
    await run_in_threadpool(
        request.app.state.audit.append,
        actor=guarded_actor(request).audit_name,
        action=action,
        target=target,
        details={**details, "path": request.url.path},
    )


def public(endpoint: Endpoint) -> Endpoint:
    """Declare `endpoint` open to everyone (sign-in page, health)."""
    endpoint.__access__ = None  # type: ignore[attr-defined]
    return endpoint


def signed_in(endpoint: Endpoint) -> Endpoint:
    """Declare `endpoint` open to any signed-in user (their own profile, sign-out)."""

    @functools.wraps(endpoint)
    async def guard(request: Request) -> Response:
        if current_actor(request) is None:
            return _refusal(request, 401, "sign in first")
        return await endpoint(request)

    guard.__access__ = "signed_in"  # type: ignore[attr-defined]
    return guard


def guarded(capability: Capability) -> Callable[[Endpoint], Endpoint]:
    """Declare that `endpoint` needs `capability`: 401 without a session, 403 without it."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guard(request: Request) -> Response:
            actor = current_actor(request)
            if actor is None:
                return _refusal(request, 401, "sign in first")
            decision = decide(actor, capability)
            if not decision.allowed:
                return _refusal(request, 403, decision.reason)
            return await endpoint(request)

        guard.__access__ = capability  # type: ignore[attr-defined]
        return guard

    return wrap


def wants_html(request: Request) -> bool:
    """Whether the client is a browser asking for a page (not the API or a data twin)."""
    path = request.url.path
    if path.startswith("/api/") or path.endswith((".json", ".csv")):
        return False
    return "text/html" in request.headers.get("accept", "")


def refusal(request: Request, status: int, reason: str) -> Response:
    """401 (sign in) or 403 (not allowed), as a page for browsers and JSON for the API."""
    return _refusal(request, status, reason)


def _refusal(request: Request, status: int, reason: str) -> Response:
    if wants_html(request):
        if status == 401:
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        response = html_response(request, "not_allowed.html", {"reason": reason})
        response.status_code = status
        return response
    return JSONResponse({"error": reason}, status_code=status)


def new_login_csrf() -> str:
    """A random token for the double-submit cookie that protects the sign-in form."""
    return secrets.token_urlsafe(24)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def access_of(endpoint: Any) -> object:
    """The access declaration of `endpoint` (a Capability, "signed_in", None for public), or
    the string "undeclared"."""
    return getattr(endpoint, "__access__", "undeclared")
