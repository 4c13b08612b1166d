"""A real server per test: uvicorn in a thread on 127.0.0.1 and a free port, stopped by the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from faultlens.server.app import create_app
from faultlens.server.config import Limits, ServerConfig
from faultlens.server.credentials import dsn, hash_token, new_public_key, new_token
from faultlens.store import open_store

START_TIMEOUT = 15.0


@dataclass
class Credentials:
    project: str
    project_id: int
    public_key: str
    token: str


def make_credentials(db: Path, project: str = "shop") -> Credentials:
    """A project with a key, and an API token, written before the server takes the store."""
    store = open_store(str(db))
    try:
        accounts = store.accounts()  # type: ignore[attr-defined]
        created, key = accounts.create_project(project, new_public_key())
        token_id, token = new_token()
        accounts.add_token(token_id, "tests", hash_token(token))
    finally:
        store.close()
    return Credentials(project, created.id, key.public_key, token)


class RunningServer:
    """uvicorn serving `create_app(config)` in a thread; `stop()` shuts it down as SIGTERM would."""

    def __init__(self, config: ServerConfig) -> None:
        self.app = create_app(config)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning",
                                                   lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def dsn(self, credentials: Credentials) -> str:
        return dsn(self.url, credentials.public_key, credentials.project_id)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)

    def wait_committed(self, timeout: float = 10.0) -> None:
        """Wait until everything accepted so far is in the store."""
        ingest = self.app.state.ingest
        deadline = time.monotonic() + timeout
        while ingest.queue.depth or ingest.replaying:
            if time.monotonic() > deadline:
                raise TimeoutError("the writer did not commit in time")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(db=str(tmp_path / "faultlens.duckdb"), limits=Limits(rate_per_key=0),
                        batch_wait_seconds=0.01)


@pytest.fixture
def credentials(server_config: ServerConfig) -> Credentials:
    return make_credentials(Path(server_config.db))


@pytest.fixture
def start_server() -> Iterator[Callable[[ServerConfig], RunningServer]]:
    """Start servers for a test (`start_server(config)`); every one is stopped when the test ends."""
    started: list[RunningServer] = []

    def start(config: ServerConfig) -> RunningServer:
        started.append(RunningServer(config))
        return started[-1]
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def running(server_config: ServerConfig, credentials: Credentials,
            start_server: Callable[[ServerConfig], RunningServer]) -> RunningServer:
    return start_server(server_config)
