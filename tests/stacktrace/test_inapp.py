"""In-app marking: runtime defaults for library code, and app_packages overriding them."""

from __future__ import annotations

import pytest

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace import mark_in_app


def _mark(language: str, frame: Frame, app_packages: tuple[str, ...] = ()) -> bool | None:
    exceptions = [ExceptionInfo(type="E", frames=[frame])]
    mark_in_app(exceptions, language, app_packages)
    return exceptions[0].frames[0].in_app


@pytest.mark.parametrize(
    ("language", "frame", "expected"),
    [
        ("python", Frame(abs_path="/srv/app/views.py"), True),
        ("python", Frame(abs_path="/venv/lib/python3.11/site-packages/django/core/handlers.py"), False),
        ("python", Frame(abs_path="/usr/lib/python3/dist-packages/requests/api.py"), False),
        ("python", Frame(abs_path="/usr/lib/python3.11/asyncio/runners.py"), False),
        ("python", Frame(abs_path="<frozen runpy>"), False),
        ("java", Frame(module="com.acme.Shop"), True),
        ("java", Frame(module="java.util.ArrayList"), False),
        ("java", Frame(module="org.springframework.web.servlet.DispatcherServlet"), False),
        ("java", Frame(module="kotlinx.coroutines.DispatchedTask"), False),
        ("javascript", Frame(abs_path="/srv/app/index.js"), True),
        ("javascript", Frame(abs_path="/srv/app/node_modules/express/lib/router/layer.js"), False),
        ("javascript", Frame(abs_path="node:internal/process/task_queues"), False),
        ("javascript", Frame(filename="<anonymous>"), False),
        ("go", Frame(module="main", abs_path="/src/app/main.go"), True),
        ("go", Frame(module="runtime", abs_path="/usr/local/go/src/runtime/panic.go"), False),
        ("go", Frame(module="net/http", abs_path="/opt/homebrew/Cellar/go/1.22/libexec/src/net/http/server.go"), False),
        ("go", Frame(module="github.com/gin-gonic/gin", abs_path="/go/pkg/mod/github.com/gin@v1/g.go"), False),
    ],
)
def test_runtime_defaults(language: str, frame: Frame, expected: bool) -> None:
    """Library locations of each runtime are not in-app; everything else is."""
    assert _mark(language, frame) is expected


def test_app_packages_win_over_defaults() -> None:
    """A module or path prefix in app_packages claims frames the defaults would call library."""
    assert _mark("java", Frame(module="org.apache.myapp.Handler"), ("org.apache.myapp",)) is True
    assert _mark("java", Frame(module="org.apache.myappx.Handler"), ("org.apache.myapp",)) is False
    vendored = Frame(abs_path="/srv/app/vendor/site-packages/ours/x.py")
    assert _mark("python", vendored, ("/srv/app/vendor/site-packages/ours",)) is True
