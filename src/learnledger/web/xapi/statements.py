"""The Statement resource: ``/xapi/statements`` (PUT, POST, GET, HEAD).

Routes only parse, authorise, call the LRS services in a thread and serialise; the rules live
in `learnledger.lrs` (store, query, formats, attachments, signatures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from learnledger.core.xapi import actor_ifi
from learnledger.core.xapi.formats import is_uuid
from learnledger.core.xapi.timestamps import parse_timestamp
from learnledger.errors import NotFoundError, ValidationError
from learnledger.lrs.attachments import Attachment, parse_multipart, statement_attachments
from learnledger.lrs.signatures import TrustedSigners
from learnledger.lrs.statement_formats import (
    activity_ids,
    canonical_format,
    for_version,
    ids_format,
    parse_accept_language,
)
from learnledger.lrs.statement_query import (
    FORMATS,
    StatementQuery,
    StatementQueryService,
    decode_cursor,
    encode_cursor,
    parse_boolean,
    parse_query,
)
from learnledger.lrs.statement_store import StatementStore, StatementWrite
from learnledger.web.xapi.multipart import multipart_body
from learnledger.web.xapi.protocol import (
    CONSISTENT_THROUGH_HEADER,
    XAPIRequest,
    begin,
    check_params,
    format_instant,
    parse_json,
    respond,
    xapi_endpoint,
)
from learnledger.web.xapi.write_queue import SMALL_WRITE, WriteQueue

JsonObject = dict[str, Any]

_SINGLE_EXTRA = frozenset({"attachments", "format"})


def statement_store(request: Request) -> StatementStore:
    """The app's `StatementStore`, created on first use."""
    state = request.app.state
    store: StatementStore | None = getattr(state, "statement_store", None)
    if store is None:
        signers = state.settings.lrs_trusted_signers
        trusted = TrustedSigners.load(signers) if signers else None
        store = state.statement_store = StatementStore(state.engine, trusted)
    return store


@xapi_endpoint
async def statements_endpoint(request: Request) -> Response:
    """Dispatch ``/xapi/statements`` by method."""
    if request.method in ("GET", "HEAD"):
        return await get_statements(request)
    x = await begin(request, scope="statements/write")
    store = statement_store(request)
    if x.method == "PUT":
        check_params(x, allowed={"statementId"}, required={"statementId"})
        statement_id = x.params["statementId"]
        if not is_uuid(statement_id):
            raise ValidationError("statementId", "must be a UUID")
        document, payloads = read_statements(x)
        if not isinstance(document, dict):
            raise ValidationError("body", "PUT takes one Statement object")
        given = document.get("id", statement_id)
        if not isinstance(given, str) or given.lower() != statement_id.lower():
            raise ValidationError("statement.id", "must equal the statementId parameter")
        await _store(request, store, x, [{**document, "id": given}], payloads)
        return _respond(x, store, None, status=204)
    check_params(x, allowed=())
    document, payloads = read_statements(x)
    batch = document if isinstance(document, list) else [document]
    ids = await _store(request, store, x, batch, payloads)
    return _respond(x, store, ids)


def read_statements(x: XAPIRequest) -> tuple[Any, dict[str, Attachment]]:
    """The statement JSON of a write and its attachment payloads (multipart/mixed)."""
    if x.media_type == "multipart/mixed":
        parsed = parse_multipart(x.body, x.content_type)
        return parsed.statements, parsed.attachments
    if x.media_type not in ("application/json", ""):
        raise ValidationError(
            "Content-Type", "must be application/json or multipart/mixed for statements"
        )
    return parse_json(x.body, "body"), {}


async def _store(
    request: Request,
    store: StatementStore,
    x: XAPIRequest,
    statements: Sequence[JsonObject],
    payloads: Mapping[str, Attachment],
) -> list[str]:
    """Store the statements of a write: small writes through the app's `WriteQueue` (with
    the others waiting meanwhile), large ones in a worker thread of their own."""
    write = StatementWrite(
        statements,
        authority=x.authority,
        version=x.version,
        attachments=payloads,
        define=x.credential.allows("define", read=False),
        from_json=True,  # parsed from the request body by `read_statements`
    )
    if len(statements) < SMALL_WRITE:
        return await write_queue(request, store).store(write)
    return await run_in_threadpool(store.store_write, write)


def write_queue(request: Request, store: StatementStore) -> WriteQueue:
    """The app's `WriteQueue` for `store`, created on first use."""
    state = request.app.state
    queue: WriteQueue | None = getattr(state, "statement_write_queue", None)
    if queue is None:
        queue = state.statement_write_queue = WriteQueue(store)
    return queue


async def get_statements(request: Request) -> Response:
    """GET one statement (statementId / voidedStatementId) or a page of a query."""
    x = await begin(request, scope="statements/read")
    store = statement_store(request)
    params = x.params
    if "statementId" in params or "voidedStatementId" in params:
        return await _get_single(x, store)
    if "more" in params:
        check_params(x, allowed={"more"})
        query, cursor = decode_cursor(params["more"])
    else:
        query, cursor = parse_query(params), None
    mine = actor_ifi(x.authority) if x.credential.mine_only else None
    page_size: int = request.app.state.settings.lrs_page_size
    service = StatementQueryService(store.engine)
    page = await run_in_threadpool(
        service.page, query, page_size=page_size, cursor=cursor, authority_ifi=mine
    )
    statements = await run_in_threadpool(_formatted, store, x, page.statements, query.format)
    more = ""
    if page.cursor is not None:
        root = request.scope.get("root_path", "")
        more = f"{root}/statements?more={encode_cursor(query, page.cursor)}"
    result = {"statements": statements, "more": more}
    return await _with_attachments(x, store, result, statements, query)


async def _get_single(x: XAPIRequest, store: StatementStore) -> Response:
    params = x.params
    if "statementId" in params and "voidedStatementId" in params:
        raise ValidationError("statementId", "cannot be combined with voidedStatementId")
    name = "statementId" if "statementId" in params else "voidedStatementId"
    extra = sorted(set(params) - {name} - _SINGLE_EXTRA)
    if extra:
        raise ValidationError(extra[0], f"cannot be combined with {name}")
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(FORMATS)}")
    attachments = parse_boolean(params, "attachments")
    statement_id = params[name]
    if not is_uuid(statement_id):
        raise ValidationError(name, "must be a UUID")
    fetch = store.get if name == "statementId" else store.get_voided
    stmt = await run_in_threadpool(fetch, statement_id)
    if stmt is None or (
        x.credential.mine_only and actor_ifi(stmt["authority"]) != actor_ifi(x.authority)
    ):
        raise NotFoundError(f"no statement {statement_id} ({name})")
    (formatted,) = await run_in_threadpool(_formatted, store, x, [stmt], fmt)
    headers = {"Last-Modified": _http_date(parse_timestamp(stmt["stored"]))}
    query = StatementQuery(format=fmt, attachments=attachments)
    return await _with_attachments(x, store, formatted, [formatted], query, headers)


def _formatted(
    store: StatementStore, x: XAPIRequest, statements: list[JsonObject], fmt: str
) -> list[JsonObject]:
    statements = [for_version(s, x.version) for s in statements]
    if fmt == "ids":
        return [ids_format(s) for s in statements]
    if fmt == "canonical":
        languages = parse_accept_language(x.headers.get("accept-language"))
        definitions = store.activities.definitions(activity_ids(statements))
        return [canonical_format(s, definitions, languages) for s in statements]
    return statements


async def _with_attachments(
    x: XAPIRequest,
    store: StatementStore,
    document: Any,
    statements: list[JsonObject],
    query: StatementQuery,
    headers: dict[str, str] | None = None,
) -> Response:
    if not query.attachments:
        return _respond(x, store, document, headers=headers)
    wanted = [a["sha2"] for a in statement_attachments(statements) if "sha2" in a]
    found = await run_in_threadpool(store.attachments.get_many, wanted)
    body, content_type = multipart_body(document, found.values())
    return _respond(x, store, body, headers=headers, content_type=content_type)


def _respond(
    x: XAPIRequest,
    store: StatementStore,
    body: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> Response:
    extra = {CONSISTENT_THROUGH_HEADER: format_instant(store.consistent_through())}
    extra.update(headers or {})
    return respond(x, body, status=status, headers=extra, content_type=content_type)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)
