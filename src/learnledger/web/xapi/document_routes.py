"""HTTP routes of the xAPI document resources and the Agents resource (under ``/xapi``).

``/activities/state``, ``/activities/profile`` and ``/agents/profile`` take GET (one document,
or the ids of several), HEAD, PUT, POST (JSON merge) and DELETE (state: also several);
``/agents`` answers GET and HEAD with a Person object. The xAPI rules live in
`learnledger.lrs`: these handlers only parse, authorise, call and serialise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from learnledger.errors import NotFoundError
from learnledger.lrs.agents import AgentDirectory
from learnledger.lrs.document_params import (
    DocumentRequest,
    parse_agents_params,
    parse_document_params,
)
from learnledger.lrs.document_rules import DocumentKind, Preconditions, quote_etag
from learnledger.lrs.documents import DocumentStore
from learnledger.web.xapi.protocol import Handler, XAPIRequest, begin, respond, xapi_endpoint

DOCUMENT_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
#: The xAPI authorisation scope each resource needs (reads are also allowed by all/read).
SCOPES = {
    DocumentKind.STATE: "state",
    DocumentKind.ACTIVITY_PROFILE: "profile",
    DocumentKind.AGENT_PROFILE: "profile",
}


def http_date(moment: datetime) -> str:
    """`moment` as an HTTP date (``Sun, 06 Nov 1994 08:49:37 GMT``), for Last-Modified."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _document_endpoint(kind: DocumentKind) -> Handler:
    @xapi_endpoint
    async def endpoint(request: Request) -> Response:
        x = await begin(request, scope=SCOPES[kind])
        wanted = parse_document_params(kind, x.method, x.params, x.version)
        store = DocumentStore(request.app.state.engine)
        if x.is_read:
            return await _read(x, store, wanted)
        return await _write(x, store, wanted)

    endpoint.__name__ = f"{kind.value}_endpoint"
    return endpoint


async def _read(x: XAPIRequest, store: DocumentStore, wanted: DocumentRequest) -> Response:
    if wanted.document_id is None:
        listed = await run_in_threadpool(store.list_ids, wanted.scope, wanted.since)
        headers: dict[str, str] = {}
        if listed.last_modified is not None:
            headers["Last-Modified"] = http_date(listed.last_modified)
        return respond(x, listed.ids, headers=headers)
    document = await run_in_threadpool(store.get, wanted.scope, wanted.document_id)
    if document is None:
        raise NotFoundError(f"no document {wanted.document_id!r} here")
    headers = {"ETag": quote_etag(document.etag), "Last-Modified": http_date(document.updated)}
    return respond(x, document.content, headers=headers, content_type=document.content_type)


async def _write(x: XAPIRequest, store: DocumentStore, wanted: DocumentRequest) -> Response:
    preconditions = Preconditions.from_headers(
        x.headers.get("if-match"), x.headers.get("if-none-match")
    )
    scope, document_id = wanted.scope, wanted.document_id
    content_type = x.content_type or None
    if document_id is None:  # DELETE of every state document of the scope
        await run_in_threadpool(store.delete_all, scope)
        return respond(x, None, status=204)
    if x.method == "DELETE":
        await run_in_threadpool(store.delete, scope, document_id, preconditions)
        return respond(x, None, status=204)
    if x.method == "PUT":
        document = await run_in_threadpool(
            lambda: store.put(
                scope, document_id, x.body, content_type, preconditions, version=x.version
            )
        )
    else:
        document = await run_in_threadpool(
            store.post, scope, document_id, x.body, content_type, preconditions
        )
    return respond(x, None, status=204, headers={"ETag": quote_etag(document.etag)})


@xapi_endpoint
async def agents_endpoint(request: Request) -> Response:
    """GET /agents?agent=...: the Person object the LRS knows for the Agent."""
    x = await begin(request, scope="profile")
    agent = parse_agents_params(x.params)
    directory = AgentDirectory(request.app.state.engine)
    person = await run_in_threadpool(directory.person_for, agent)
    return respond(x, person)


DOCUMENT_ROUTES: list[BaseRoute] = [
    Route(
        "/activities/state",
        _document_endpoint(DocumentKind.STATE),
        methods=DOCUMENT_METHODS,
        name="xapi_state",
    ),
    Route(
        "/activities/profile",
        _document_endpoint(DocumentKind.ACTIVITY_PROFILE),
        methods=DOCUMENT_METHODS,
        name="xapi_activity_profile",
    ),
    Route(
        "/agents/profile",
        _document_endpoint(DocumentKind.AGENT_PROFILE),
        methods=DOCUMENT_METHODS,
        name="xapi_agent_profile",
    ),
    Route("/agents", agents_endpoint, methods=["GET", "HEAD"], name="xapi_agents"),
]
