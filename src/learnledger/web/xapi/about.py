"""The About resource: ``/xapi/about`` lists the xAPI versions the LRS speaks.

It needs neither credentials nor a version header (xAPI Communication 2.8).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from learnledger.web.xapi.protocol import (
    SUPPORTED_VERSIONS,
    XAPIRequest,
    respond,
    response_version,
    xapi_endpoint,
)

#: The About document's extensions: where to find this implementation.
ABOUT_EXTENSIONS = {"https://learnledger.dev/xapi/about/implementation": "LearnLedger LRS"}


@xapi_endpoint
async def about(request: Request) -> Response:
    """``{"version": ["1.0.3", "2.0.0"], "extensions": {...}}``."""
    response = respond(None, {"version": list(SUPPORTED_VERSIONS), "extensions": ABOUT_EXTENSIONS})
    response.headers["X-Experience-API-Version"] = response_version(request)
    if request.method == "HEAD":
        response.body = b""
    return response


__all__ = ["XAPIRequest", "about"]
