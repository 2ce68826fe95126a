"""Building multipart/mixed responses: statements (or a StatementResult) with attachments."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

import orjson

from learnledger.lrs.attachments import Attachment


def multipart_body(document: Any, attachments: Iterable[Attachment]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/mixed message: `document` as the JSON first part,
    then one binary part per attachment with its ``X-Experience-API-Hash``."""
    boundary = secrets.token_hex(16)
    delimiter = f"--{boundary}\r\n".encode()
    chunks = [
        delimiter,
        b"Content-Type: application/json\r\n\r\n",
        orjson.dumps(document),
        b"\r\n",
    ]
    for attachment in attachments:
        chunks += [
            delimiter,
            f"Content-Type: {attachment.content_type}\r\n".encode("latin-1", "replace"),
            b"Content-Transfer-Encoding: binary\r\n",
            f"X-Experience-API-Hash: {attachment.sha2}\r\n\r\n".encode(),
            attachment.content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'
