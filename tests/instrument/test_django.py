"""The WSGI middleware around a Django project, in-process: the id, the request line, a 500 reported once."""

from __future__ import annotations

import logging

import httpx
import pytest
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

from faultlens.instrument import WSGIMiddleware, bind_user, current_correlation_id


def stock(request: HttpRequest, sku: str) -> JsonResponse:
    bind_user("u-19")
    logging.getLogger("inventory.stock").info("stock lookup")
    return JsonResponse({"available": {"sku-1": 12}[sku], "seen_id": current_correlation_id()})


urlpatterns = [path("stock/<str:sku>", stock)]


@pytest.fixture(scope="module")
def client():
    """The project as its wsgi.py makes it: Django set up first (it configures logging), then the middleware."""
    if not settings.configured:
        settings.configure(DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="not-secret",
                           MIDDLEWARE=[], INSTALLED_APPS=[])
    from django.core.wsgi import get_wsgi_application

    application = WSGIMiddleware(get_wsgi_application())
    with httpx.Client(transport=httpx.WSGITransport(app=application), base_url="http://test") as client:
        yield client


def test_the_id_reaches_the_view_and_the_request_line(client, logs):
    """The caller's id is seen by the view, written on its lines and returned; the request line names the user."""
    buffer = logs("inventory")
    response = client.get("/stock/sku-1", headers={"X-Correlation-ID": "order-7f3a-0002"})
    assert response.headers["x-correlation-id"] == response.json()["seen_id"] == "order-7f3a-0002"
    inside, request_line = buffer.lines()
    assert inside["message"] == "stock lookup" and inside["correlation_id"] == "order-7f3a-0002"
    assert request_line["message"] == "GET /stock/sku-1 200" and request_line["user"] == {"id": "u-19"}


def test_a_django_500_is_one_error_event(client, logs):
    """Django logs the exception on django.request and answers 500: that line is the error, once."""
    buffer = logs("inventory")
    response = client.get("/stock/sku-404")
    assert response.status_code == 500
    levels = [(line["level"], line["logger"]) for line in buffer.lines()]
    assert levels == [("info", "inventory.stock"), ("error", "django.request"), ("info", "faultlens.request")]
    error_line = buffer.lines()[1]
    assert error_line["error"]["type"] == "KeyError" and error_line["message"] == "Internal Server Error: /stock/sku-404"
    assert error_line["correlation_id"] == response.headers["x-correlation-id"]
    assert error_line["request"] == {"method": "GET", "path": "/stock/sku-404"} and error_line["user"] == {"id": "u-19"}
