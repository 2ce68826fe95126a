"""The xAPI Learning Record Store over HTTP, mounted at ``/xapi`` (see docs/lrs.md).

`protocol` holds what every resource shares (version, authentication, scopes, body, errors,
headers); `middleware` CORS and the 1.0.3 alternate request syntax; one module per resource.
"""

from learnledger.web.xapi.routes import xapi_mount

__all__ = ["xapi_mount"]
