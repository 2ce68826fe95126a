"""The Activities resource: ``GET /xapi/activities?activityId=...`` returns the Activity with
the LRS's canonical definition (merged from the statements stored)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from learnledger.lrs.activities import ActivityStore
from learnledger.web.xapi.protocol import begin, check_params, respond, xapi_endpoint


@xapi_endpoint
async def get_activity(request: Request) -> Response:
    """The full Activity object; an unknown id still gets ``{"objectType", "id"}``."""
    x = await begin(request, scope="statements/read")
    check_params(x, allowed={"activityId"}, required={"activityId"})
    store = ActivityStore(request.app.state.engine)
    activity = await run_in_threadpool(store.get, x.params["activityId"])
    return respond(x, activity)
