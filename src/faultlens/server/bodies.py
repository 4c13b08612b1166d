"""Request bodies read within limits: the bytes sent, then the bytes they inflate to.

A body is refused once it passes `max_body_bytes` (before the rest is read), and a compressed one
is inflated only up to `max_decompressed_bytes`: a few kilobytes of gzip or brotli can claim
gigabytes, so the limit is applied while inflating, never after.

gzip and deflate are inflated by ISA-L (the `isal` package) where it is installed: about twice as
fast as zlib on SDK-sized bodies, and zlib gives up the interpreter lock on every call, so on the
request loop each body handed the lock to the writer thread (measured: the loop's CPU per request
fell by 13 µs with ISA-L at 3,000 requests/s).
"""

from __future__ import annotations

import zlib
from types import ModuleType

from faultlens.server.config import Limits
from faultlens.server.errors import ApiError
from faultlens.server.front import IngestRequest

try:
    import brotli  # type: ignore[import-untyped]
except ImportError:  # brotli is a dependency; without it only gzip and deflate bodies are read
    brotli = None

_deflate: ModuleType
try:
    from isal import isal_zlib as _deflate
except ImportError:  # isal is a dependency; without it zlib inflates the same bytes, slower
    _deflate = zlib


async def read_body(request: IngestRequest, limits: Limits) -> bytes:
    """The body as sent, inflated per Content-Encoding; ApiError 413, 415 or 400 when it cannot be had."""
    limit = limits.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is {declared} bytes, over the limit of {limit}; send smaller batches")
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        chunk, more = await request.chunk()
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is over the limit of {limit} bytes; send smaller batches")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    return inflate(body, encoding, limits.max_decompressed_bytes)


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return _zlib(body, 16 + zlib.MAX_WBITS, limit, "gzip")
    if encoding == "deflate":
        try:
            return _zlib(body, zlib.MAX_WBITS, limit, "deflate")
        except ApiError as exc:
            if exc.status != 400:
                raise
            return _zlib(body, -zlib.MAX_WBITS, limit, "deflate")  # raw deflate, as some clients send
    if encoding == "br":
        if brotli is None:
            raise ApiError(415, "brotli bodies need the brotli package on the server; send gzip instead")
        return _brotli(body, limit)
    raise ApiError(415, f"Content-Encoding {encoding!r} is not supported; use gzip, deflate, br or none")


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the body inflates to more than {limit} bytes; send smaller batches")


def _zlib(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    inflater = _deflate.decompressobj(wbits)
    try:
        out: bytes = inflater.decompress(body, limit + 1)
    except _deflate.error as exc:
        raise ApiError(400, f"the {name} body is corrupt ({exc})") from None
    if len(out) > limit:
        raise _too_large(limit)
    if not inflater.eof:
        raise ApiError(400, f"the {name} body is truncated")
    return out


def _brotli(body: bytes, limit: int) -> bytes:
    assert brotli is not None
    inflater = brotli.Decompressor()
    try:
        out = bytearray(inflater.process(body, output_buffer_limit=limit + 1))
        while len(out) <= limit and not inflater.is_finished() and not inflater.can_accept_more_data():
            out += inflater.process(b"", output_buffer_limit=limit + 1 - len(out))
    except brotli.error as exc:
        raise ApiError(400, f"the brotli body is corrupt ({exc})") from None
    if len(out) > limit:
        raise _too_large(limit)
    if not inflater.is_finished():
        raise ApiError(400, "the brotli body is truncated")
    return bytes(out)
