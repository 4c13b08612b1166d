"""Request bodies inflate per Content-Encoding, within a limit that stops compression bombs."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from faultlens.server import bodies
from faultlens.server.bodies import inflate
from faultlens.server.errors import ApiError

DATA = b'{"message": "hello"}\n' * 100


@pytest.fixture(autouse=True, params=["isal", "zlib"])
def deflate_module(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case with ISA-L (where it is installed) and with zlib, which machines without ISA-L use."""
    if request.param == "isal":
        isal_zlib = pytest.importorskip("isal.isal_zlib")
        monkeypatch.setattr(bodies, "_deflate", isal_zlib)
    else:
        monkeypatch.setattr(bodies, "_deflate", zlib)


@pytest.mark.parametrize("encoding, body", [
    ("", DATA), ("identity", DATA), ("gzip", gzip.compress(DATA)), ("deflate", zlib.compress(DATA)),
    ("deflate", zlib.compress(DATA)[2:-4]), ("br", brotli.compress(DATA)),
])
def test_each_encoding_inflates(encoding: str, body: bytes) -> None:
    """gzip, zlib deflate, raw deflate and brotli bodies inflate to what was compressed."""
    assert inflate(body, encoding, 10_000) == DATA


@pytest.mark.parametrize("encoding, compress", [("gzip", gzip.compress), ("br", brotli.compress),
                                                ("deflate", zlib.compress)])
def test_bombs_stop_at_the_limit(encoding: str, compress: object) -> None:
    """A body inflating past the limit is refused with 413 without being inflated whole."""
    bomb = compress(b"\0" * (50 * 1024 * 1024))  # type: ignore[operator]
    assert len(bomb) < 100_000
    with pytest.raises(ApiError) as caught:
        inflate(bomb, encoding, 1024 * 1024)
    assert caught.value.status == 413


@pytest.mark.parametrize("encoding, body, status", [
    ("gzip", b"not gzip at all", 400), ("gzip", gzip.compress(DATA)[:-20], 400),
    ("br", b"\xff\xff\xff", 400), ("compress", b"x", 415),
])
def test_corrupt_or_unknown_encodings(encoding: str, body: bytes, status: int) -> None:
    """Corrupt or truncated bodies are 400; encodings the server does not read are 415."""
    with pytest.raises(ApiError) as caught:
        inflate(body, encoding, 10_000)
    assert caught.value.status == status
