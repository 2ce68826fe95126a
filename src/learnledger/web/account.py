"""Sign-in, sign-out and "who am I": the only pages open without a session are here."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from learnledger.errors import AuthenticationError, TooManyRequestsError
from learnledger.governance.sessions import SessionManager
from learnledger.web.rendering import html_response
from learnledger.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    form_value,
    guarded_actor,
    new_login_csrf,
    public,
    signed_in,
)


@public
async def login_page(request: Request) -> Response:
    """The sign-in form, with a fresh double-submit CSRF token."""
    return _login_form(request, error=None, status=200)


@public
async def login(request: Request) -> Response:
    """Check the credentials; on success set the session cookie and go where the user was going."""
    body = await request.body()
    presented = form_value(body, CSRF_FIELD)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not presented or not expected or presented != expected:
        return _login_form(request, error="The form expired: please sign in again.", status=403)
    sessions: SessionManager = request.app.state.sessions
    client = request.client.host if request.client else "unknown"
    try:
        signed = await run_in_threadpool(
            sessions.sign_in,
            form_value(body, "username") or "",
            form_value(body, "password") or "",
            client,
        )
    except TooManyRequestsError as exc:
        return _login_form(request, error=str(exc).capitalize() + ".", status=429)
    except AuthenticationError:
        return _login_form(request, error="Wrong username or password.", status=401)
    response = RedirectResponse(_safe_next(form_value(body, "next")), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@signed_in
async def logout(request: Request) -> Response:
    """End the session (the middleware has checked the CSRF token) and go to the sign-in page."""
    sessions: SessionManager = request.app.state.sessions
    await run_in_threadpool(sessions.sign_out, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@signed_in
async def me(request: Request) -> Response:
    """The signed-in user's id, role, scope and CSRF token (for API clients)."""
    actor = guarded_actor(request)
    return JSONResponse(
        {
            "user_id": actor.user_id,
            "role": actor.role.value,
            "org_unit_id": actor.org_unit_id,
            "person_id": actor.person_id,
            "programme_ids": sorted(actor.programme_ids),
            "csrf_token": request.state.csrf_token,
        }
    )


def _login_form(request: Request, *, error: str | None, status: int) -> Response:
    token = new_login_csrf()
    response = html_response(
        request,
        "login.html",
        {"csrf_token": token, "error": error, "next": _safe_next(request.query_params.get("next"))},
    )
    response.status_code = status
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        secure=request.app.state.settings.cookie_secure,
        samesite="strict",
        path="/login",
    )
    return response


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
