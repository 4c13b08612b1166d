#!/usr/bin/env python3
"""Generate the ``examples/checkout-incident`` data set.

Usage (from the repository root)::

    python3 examples/generate_checkout_incident.py

The generator itself uses only the Python standard library.  To capture real
stack traces it writes small application modules into a temporary directory
and runs them with real runtimes:

* a Python interpreter that has these packages (the first of: $CAPTURE_PYTHON,
  the interpreter running this script, ./.venv/bin/python)::

      pip install "sqlalchemy>=2.0,<2.1" "httpx>=0.28,<0.29"

* a JDK 17 (``javac`` and ``java`` on PATH).

Output is deterministic (fixed seed, gzip with mtime=0) for a given set of
runtime versions; the versions used are recorded in the data set's README.
Nothing is cached outside a temporary directory, which is removed at the end.
"""

from __future__ import annotations

import bisect
import gzip
import itertools
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "examples" / "checkout-incident"
SEED = 20261128

# Deployed locations the captured traces are rewritten to.
DEPLOYED_SITE_PACKAGES = "/usr/local/lib/{py}/site-packages/"
DEPLOYED_STDLIB = "/usr/local/lib/{py}/"
PAYMENT_SERVICE_URL = "http://payment-service.payments.svc.cluster.local:8000"


# --------------------------------------------------------------------------
# Source code of the small applications whose exceptions end up in the logs.
# --------------------------------------------------------------------------

PAYMENT_APP = {
    "app/__init__.py": '''\
"""payment-service: card authorisation, capture and settlement."""
''',
    "app/errors.py": '''\
"""Domain errors raised by payment-service."""


class PaymentError(Exception):
    """Base class for errors that map to a 4xx response."""

    status_code = 400


class CardValidationError(PaymentError):
    status_code = 422
''',
    "app/validation/__init__.py": "",
    "app/validation/cards.py": '''\
"""Validation of card data entered by the customer."""
from app.errors import CardValidationError


def luhn_valid(number: str) -> bool:
    checksum = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


def validate_card_number(number: str) -> str:
    cleaned = number.replace(" ", "").replace("-", "")
    if not cleaned.isdigit() or not 12 <= len(cleaned) <= 19:
        raise CardValidationError("card number must have 12 to 19 digits")
    if not luhn_valid(cleaned):
        raise CardValidationError("card number failed Luhn checksum")
    return cleaned
''',
    "app/db/__init__.py": "",
    "app/db/session.py": '''\
"""Database engine and connection pool configuration."""
import os

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

POOL_SIZE = 5
MAX_OVERFLOW = 10
POOL_TIMEOUT = 30


def create_db_engine(url: str | None = None) -> Engine:
    return create_engine(
        url or os.environ["DATABASE_URL"],
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT,
        pool_pre_ping=True,
    )
''',
    "app/db/repository.py": '''\
"""Data access for payments and stored payment methods."""
from decimal import Decimal

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

# Try the card the customer used most recently first.
DEFAULT_METHOD_SQL = text(
    "SELECT pm.id, pm.token, pm.brand, pm.last4 FROM payment_methods pm "
    "JOIN payments p ON p.payment_method_id = pm.id "
    "WHERE pm.user_id = :user_id ORDER BY p.created_at DESC LIMIT 1"
)
INSERT_PAYMENT_SQL = text(
    "INSERT INTO payments (id, order_id, payment_method_id, amount, currency, status) "
    "VALUES (:id, :order_id, :method_id, :amount, :currency, 'authorized')"
)
PAYMENTS_BY_ID_SQL = text(
    "SELECT id, order_id, amount, currency, status FROM payments WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True))
UNSETTLED_SQL = text(
    "SELECT id, amount, currency FROM payments WHERE status = 'captured' "
    "AND settled_at IS NULL ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)


class PaymentRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_default_payment_method(self, user_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(DEFAULT_METHOD_SQL, {"user_id": user_id}).mappings().first()
        return dict(row) if row else None

    def insert_payment(
        self, payment_id: str, order_id: str, method_id: str, amount: Decimal, currency: str
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                INSERT_PAYMENT_SQL,
                {
                    "id": payment_id,
                    "order_id": order_id,
                    "method_id": method_id,
                    "amount": amount,
                    "currency": currency,
                },
            )

    def list_payments(self, payment_ids: list[str]) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(PAYMENTS_BY_ID_SQL, {"ids": payment_ids}).mappings().all()
        return [dict(row) for row in rows]

    def list_unsettled(self, limit: int = 200) -> list[dict]:
        with self.engine.begin() as conn:
            rows = conn.execute(UNSETTLED_SQL, {"limit": limit}).mappings().all()
        return [dict(row) for row in rows]
''',
    "app/services/__init__.py": "",
    "app/services/payments.py": '''\
"""Authorisation and capture of card payments."""
import uuid
from decimal import Decimal

from app.db.repository import PaymentRepository
from app.validation.cards import validate_card_number


class PaymentService:
    def __init__(self, repository: PaymentRepository) -> None:
        self.repository = repository

    def authorize(self, order_id: str, user_id: str, amount: Decimal, currency: str) -> dict:
        method = self.repository.get_default_payment_method(user_id)
        if method is None:
            return {"status": "declined", "reason": "no_payment_method"}
        payment_id = f"pay_{uuid.uuid4().hex[:14]}"
        self.repository.insert_payment(payment_id, order_id, method["id"], amount, currency)
        return {"payment_id": payment_id, "status": "authorized"}

    def charge(
        self,
        order_id: str,
        user_id: str,
        amount: Decimal,
        currency: str,
        card_number: str | None = None,
    ) -> dict:
        if card_number is not None:
            validate_card_number(card_number)
        return self.authorize(order_id, user_id, amount, currency)
''',
    "app/services/reconciliation.py": '''\
"""Reconciliation of our payment records with the card processor."""
from app.db.repository import PaymentRepository


class ReconciliationService:
    def __init__(self, repository: PaymentRepository) -> None:
        self.repository = repository

    def reconcile(self, payment_ids: list[str]) -> dict:
        payments = self.repository.list_payments(payment_ids)
        settled = [p["id"] for p in payments if p["status"] == "captured"]
        missing = sorted(set(payment_ids) - {p["id"] for p in payments})
        return {"settled": settled, "mismatches": missing}
''',
    "app/web.py": '''\
"""Request dispatch and error mapping used by the HTTP adapter."""
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError

from app.errors import PaymentError

log = logging.getLogger("payment.api")
db_log = logging.getLogger("payment.db")


@dataclass
class Request:
    method: str
    path: str
    json: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status_code: int
    body: dict[str, Any]


def dispatch(handler: Callable[..., Response], request: Request, *deps: Any) -> Response:
    started = time.monotonic()
    try:
        response = handler(request, *deps)
    except PaymentError as exc:
        log.exception("Payment request rejected: %s %s", request.method, request.path)
        response = Response(exc.status_code, {"error": type(exc).__name__, "detail": str(exc)})
    except SQLAlchemyError:
        db_log.exception("Database error while handling %s %s", request.method, request.path)
        response = Response(503, {"error": "service_unavailable"})
    response.body.setdefault("duration_ms", round((time.monotonic() - started) * 1000))
    return response
''',
    "app/api/__init__.py": "",
    "app/api/payments.py": '''\
"""HTTP handlers for /api/v1/payments."""
from decimal import Decimal

from app.services.payments import PaymentService
from app.services.reconciliation import ReconciliationService
from app.web import Request, Response


def authorize(request: Request, service: PaymentService) -> Response:
    body = request.json
    payment = service.authorize(
        order_id=body["order_id"],
        user_id=body["user_id"],
        amount=Decimal(str(body["amount"])),
        currency=body["currency"],
    )
    return Response(200, payment)


def charge(request: Request, service: PaymentService) -> Response:
    body = request.json
    payment = service.charge(
        order_id=body["order_id"],
        user_id=body["user_id"],
        amount=Decimal(str(body["amount"])),
        currency=body["currency"],
        card_number=body.get("card_number"),
    )
    return Response(201, payment)


def reconcile(request: Request, service: ReconciliationService) -> Response:
    result = service.reconcile(request.json["payment_ids"])
    return Response(200, result)
''',
    "app/jobs/__init__.py": "",
    "app/jobs/scheduler.py": '''\
"""Periodic jobs that run inside the service process."""
import logging
from typing import Any, Callable


def run_job(name: str, job: Callable[..., Any], *args: Any) -> Any:
    log = logging.getLogger(f"payment.jobs.{name}")
    try:
        return job(*args)
    except Exception:
        log.exception("Scheduled job %r failed", name)
        return None
''',
    "app/jobs/settlement.py": '''\
"""Marks captured payments as settled once the processor has paid out."""
from app.db.repository import PaymentRepository


def run_settlement_sync(repository: PaymentRepository, batch_limit: int = 200) -> int:
    pending = repository.list_unsettled(limit=batch_limit)
    return len(pending)
''',
}

PAYMENT_DRIVER = r"""
import json, logging, os, sys, sysconfig, threading
ROOT = sys.argv[1]
sys.path.insert(0, os.path.join(ROOT, "srv", "payment"))

import sqlalchemy
from app.api import payments as api
from app.db.repository import PaymentRepository
from app.db.session import create_db_engine
from app.jobs.scheduler import run_job
from app.jobs.settlement import run_settlement_sync
from app.services.payments import PaymentService
from app.services.reconciliation import ReconciliationService
from app.web import Request, dispatch

captured = {}


class Capture(logging.Handler):
    def emit(self, record):
        if record.exc_info:
            exc = record.exc_info[1]
            captured[threading.current_thread().name] = {
                "logger": record.name,
                "message": record.getMessage(),
                "type": type(exc).__name__,
                "error_message": str(exc),
                "stack_trace": logging.Formatter().formatException(record.exc_info),
            }


root = logging.getLogger()
root.addHandler(Capture())
root.setLevel(logging.INFO)

engine = create_db_engine("sqlite:///" + os.path.join(ROOT, "payments.db"))
held = [engine.connect() for _ in range(15)]  # exhaust pool_size=5 + max_overflow=10
repo = PaymentRepository(engine)
payments = PaymentService(repo)
recon = ReconciliationService(repo)
body = {"order_id": "ord-1", "user_id": "user-1", "amount": 10, "currency": "USD"}
valid_card = dict(body, card_number="4242424242424242")
bad_card = dict(body, card_number="4111 1111 1111 1112")
P = "/api/v1/payments/"
jobs = {
    "authorize": lambda: dispatch(api.authorize, Request("POST", P + "authorize", dict(body)), payments),
    "charge": lambda: dispatch(api.charge, Request("POST", P + "charge", valid_card), payments),
    "reconcile": lambda: dispatch(api.reconcile, Request("POST", P + "reconcile", {"payment_ids": ["pay_1"]}), recon),
    "settlement": lambda: run_job("settlement", run_settlement_sync, repo),
}
threads = [threading.Thread(target=fn, name=name) for name, fn in jobs.items()]
for t in threads:
    t.start()
threading.current_thread().name = "card"
dispatch(api.charge, Request("POST", P + "charge", bad_card), payments)
for t in threads:
    t.join()
for c in held:
    c.close()
paths = sysconfig.get_paths()
print(json.dumps({
    "traces": captured,
    "purelib": paths["purelib"], "stdlib": paths["stdlib"],
    "python": "%d.%d.%d" % sys.version_info[:3],
    "sqlalchemy": sqlalchemy.__version__,
}))
"""

WORKER_APP = {
    "app/__init__.py": '''\
"""worker: background jobs for the shop (receipts, payment reconciliation)."""
''',
    "app/runner.py": '''\
"""Job runner: executes queued jobs and reports their outcome."""
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from app.jobs import receipts, reconcile

log = logging.getLogger(__name__)

HANDLERS = {
    "send_receipt": receipts.send_receipt,
    "reconcile_payments": reconcile.reconcile_payments,
}


@dataclass
class Job:
    id: str
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    max_attempts: int = 5


def execute(job: Job) -> bool:
    handler = HANDLERS[job.name]
    started = time.monotonic()
    try:
        handler(job.payload)
    except Exception:
        log.exception("Job %s[%s] failed", job.name, job.id)
        return False
    log.info("Job %s[%s] succeeded in %.3fs", job.name, job.id, time.monotonic() - started)
    return True
''',
    "app/mailer.py": '''\
"""Thin SMTP wrapper."""
import os
import smtplib
from email.message import EmailMessage


class Mailer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    @classmethod
    def from_env(cls) -> "Mailer":
        return cls(os.environ.get("SMTP_HOST", "smtp.internal"), int(os.environ.get("SMTP_PORT", "25")))

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["To"] = recipient
        message["From"] = "receipts@shop.example.com"
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)
''',
    "app/jobs/__init__.py": "",
    "app/jobs/receipts.py": '''\
"""Receipt e-mails for confirmed orders."""
import logging

from app.mailer import Mailer

log = logging.getLogger(__name__)


def send_receipt(payload: dict) -> None:
    order_id = payload["order_id"]
    recipient = payload["email"]
    lines = [f"{item['name']} x{item['quantity']}" for item in payload.get("items", [])]
    Mailer.from_env().send(recipient, f"Your order {order_id}", "\\n".join(lines))
    log.info("Sent receipt for order %s to %s", order_id, recipient)
''',
    "app/jobs/reconcile.py": '''\
"""Reconciliation of pending payments with payment-service."""
import logging

from app.clients.payments import PaymentServiceClient

log = logging.getLogger(__name__)


def reconcile_payments(payload: dict) -> None:
    payment_ids = payload["payment_ids"]
    log.info("Reconciling %d pending payments", len(payment_ids))
    with PaymentServiceClient.from_env() as client:
        result = client.reconcile(payment_ids)
    log.info(
        "Reconciled %d payments: %d settled, %d mismatches",
        len(payment_ids),
        len(result["settled"]),
        len(result["mismatches"]),
    )
''',
    "app/clients/__init__.py": "",
    "app/clients/payments.py": '''\
"""HTTP client for payment-service."""
import os

import httpx

DEFAULT_URL = "http://payment-service.payments.svc.cluster.local:8000"


class PaymentServiceClient:
    def __init__(self, base_url: str, timeout: float) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout, connect=5.0))

    @classmethod
    def from_env(cls) -> "PaymentServiceClient":
        return cls(
            os.environ.get("PAYMENT_SERVICE_URL", DEFAULT_URL),
            float(os.environ.get("PAYMENT_SERVICE_TIMEOUT", "45")),
        )

    def __enter__(self) -> "PaymentServiceClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def reconcile(self, payment_ids: list[str]) -> dict:
        response = self._http.post("/api/v1/payments/reconcile", json={"payment_ids": payment_ids})
        response.raise_for_status()
        return response.json()
''',
}

WORKER_DRIVER = r"""
import http.server, json, logging, os, socket, sys, sysconfig, threading
ROOT = sys.argv[1]
sys.path.insert(0, os.path.join(ROOT, "srv", "worker"))

import httpx
from app.runner import Job, execute

captured = {}
http_log_format = {}
current = {"name": None}


class Capture(logging.Handler):
    def emit(self, record):
        if record.exc_info:
            exc = record.exc_info[1]
            captured[current["name"]] = {
                "logger": record.name,
                "message": record.getMessage(),
                "type": type(exc).__name__,
                "error_message": str(exc),
                "stack_trace": logging.Formatter().formatException(record.exc_info),
            }
        elif record.name == "httpx":
            http_log_format["msg"] = record.msg


root = logging.getLogger()
root.addHandler(Capture())
root.setLevel(logging.INFO)


class Unavailable(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"error":"service_unavailable"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


unavailable = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
threading.Thread(target=unavailable.serve_forever, daemon=True).start()

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)
held = []
threading.Thread(target=lambda: [held.append(silent.accept()) for _ in iter(int, 1)], daemon=True).start()

current["name"] = "key_error"
execute(Job("job-1", "send_receipt", {"email": "someone@example.com", "items": []}))

current["name"] = "status_503"
os.environ["PAYMENT_SERVICE_URL"] = "http://127.0.0.1:%d" % unavailable.server_address[1]
execute(Job("job-2", "reconcile_payments", {"payment_ids": ["pay_1"]}))

current["name"] = "read_timeout"
os.environ["PAYMENT_SERVICE_URL"] = "http://127.0.0.1:%d" % silent.getsockname()[1]
os.environ["PAYMENT_SERVICE_TIMEOUT"] = "0.3"
execute(Job("job-3", "reconcile_payments", {"payment_ids": ["pay_1"]}))

unavailable.shutdown()
paths = sysconfig.get_paths()
print(json.dumps({
    "traces": captured,
    "http_log_format": http_log_format.get("msg"),
    "local_urls": ["http://127.0.0.1:%d" % unavailable.server_address[1],
                   "http://127.0.0.1:%d" % silent.getsockname()[1]],
    "purelib": paths["purelib"], "stdlib": paths["stdlib"],
    "httpx": httpx.__version__,
}))
"""

JAVA_SOURCES = {
    "com/acme/order/support/Mdc.java": """\
package com.acme.order.support;

import java.util.HashMap;
import java.util.Map;

/** Mapped diagnostic context: per-thread values that the log layout prints. */
public final class Mdc {
    private static final ThreadLocal<Map<String, String>> CONTEXT = ThreadLocal.withInitial(HashMap::new);

    private Mdc() {
    }

    public static void put(String key, String value) {
        CONTEXT.get().put(key, value);
    }

    public static String get(String key) {
        return CONTEXT.get().get(key);
    }

    public static void clear() {
        CONTEXT.remove();
    }
}
""",
    "com/acme/order/support/AppLog.java": """\
package com.acme.order.support;

/** Small logging facade; the production binding forwards to log4j. */
public final class AppLog {
    public interface Sink {
        void write(String level, String logger, String message, Throwable error);
    }

    private static volatile Sink sink = (level, logger, message, error) -> {
        System.err.println(level + " " + logger + " - " + message);
        if (error != null) {
            error.printStackTrace();
        }
    };

    private final String name;

    private AppLog(String name) {
        this.name = name;
    }

    public static AppLog getLogger(Class<?> type) {
        return new AppLog(type.getName());
    }

    public static void setSink(Sink newSink) {
        sink = newSink;
    }

    public void info(String message) {
        sink.write("INFO", name, message, null);
    }

    public void warn(String message) {
        sink.write("WARN", name, message, null);
    }

    public void error(String message, Throwable error) {
        sink.write("ERROR", name, message, error);
    }
}
""",
    "com/acme/order/web/HttpRequest.java": """\
package com.acme.order.web;

import java.util.Map;

public final class HttpRequest {
    private final String method;
    private final String path;
    private final String correlationId;
    private final String userId;
    private final Map<String, Object> body;

    public HttpRequest(String method, String path, String correlationId, String userId, Map<String, Object> body) {
        this.method = method;
        this.path = path;
        this.correlationId = correlationId;
        this.userId = userId;
        this.body = body;
    }

    public String getMethod() {
        return method;
    }

    public String getPath() {
        return path;
    }

    public String getCorrelationId() {
        return correlationId;
    }

    public String getUserId() {
        return userId;
    }

    public Map<String, Object> getBody() {
        return body;
    }
}
""",
    "com/acme/order/web/HttpResponse.java": """\
package com.acme.order.web;

public final class HttpResponse {
    private final int status;
    private final String body;

    public HttpResponse(int status, String body) {
        this.status = status;
        this.body = body;
    }

    public static HttpResponse created(String body) {
        return new HttpResponse(201, body);
    }

    public static HttpResponse notFound() {
        return new HttpResponse(404, "{\\"error\\":\\"not_found\\"}");
    }

    public int getStatus() {
        return status;
    }

    public String getBody() {
        return body;
    }
}
""",
    "com/acme/order/web/RequestWorker.java": """\
package com.acme.order.web;

/** Processes one accepted request on a connector thread. */
public final class RequestWorker implements Runnable {
    private final CorrelationIdFilter filter;
    private final HttpRequest request;

    public RequestWorker(CorrelationIdFilter filter, HttpRequest request) {
        this.filter = filter;
        this.request = request;
    }

    @Override
    public void run() {
        filter.doFilter(request);
    }
}
""",
    "com/acme/order/web/CorrelationIdFilter.java": """\
package com.acme.order.web;

import com.acme.order.support.Mdc;

/** Puts the X-Request-ID of the incoming request into the logging context. */
public final class CorrelationIdFilter {
    private final RequestDispatcher dispatcher;

    public CorrelationIdFilter(RequestDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    public HttpResponse doFilter(HttpRequest request) {
        Mdc.put("correlationId", request.getCorrelationId());
        try {
            return dispatcher.dispatch(request);
        } finally {
            Mdc.clear();
        }
    }
}
""",
    "com/acme/order/web/RequestDispatcher.java": """\
package com.acme.order.web;

import com.acme.order.api.OrderController;

public final class RequestDispatcher {
    private final OrderController orderController;
    private final GlobalExceptionHandler exceptionHandler;

    public RequestDispatcher(OrderController orderController, GlobalExceptionHandler exceptionHandler) {
        this.orderController = orderController;
        this.exceptionHandler = exceptionHandler;
    }

    public HttpResponse dispatch(HttpRequest request) {
        try {
            if ("POST".equals(request.getMethod()) && "/api/v1/orders".equals(request.getPath())) {
                return orderController.createOrder(request);
            }
            return HttpResponse.notFound();
        } catch (RuntimeException ex) {
            return exceptionHandler.handle(request, ex);
        }
    }
}
""",
    "com/acme/order/web/GlobalExceptionHandler.java": """\
package com.acme.order.web;

import com.acme.order.payment.PaymentGatewayException;
import com.acme.order.support.AppLog;

public final class GlobalExceptionHandler {
    private static final AppLog LOG = AppLog.getLogger(GlobalExceptionHandler.class);

    public HttpResponse handle(HttpRequest request, RuntimeException ex) {
        if (ex instanceof PaymentGatewayException) {
            LOG.warn("Responding 502 BAD_GATEWAY to " + request.getMethod() + " " + request.getPath()
                    + ": " + ex.getMessage());
            return new HttpResponse(502, "{\\"error\\":\\"payment_unavailable\\"}");
        }
        LOG.error("Unhandled exception processing " + request.getMethod() + " " + request.getPath(), ex);
        return new HttpResponse(500, "{\\"error\\":\\"internal_error\\"}");
    }
}
""",
    "com/acme/order/api/dto/CouponRequest.java": """\
package com.acme.order.api.dto;

public final class CouponRequest {
    private final String code;

    public CouponRequest(String code) {
        this.code = code;
    }

    public String getCode() {
        return code;
    }
}
""",
    "com/acme/order/api/dto/CreateOrderRequest.java": """\
package com.acme.order.api.dto;

import java.util.List;
import java.util.Map;

public final class CreateOrderRequest {
    private final List<Map<String, Object>> items;
    private final CouponRequest coupon;

    private CreateOrderRequest(List<Map<String, Object>> items, CouponRequest coupon) {
        this.items = items;
        this.coupon = coupon;
    }

    @SuppressWarnings("unchecked")
    public static CreateOrderRequest from(Map<String, Object> body) {
        List<Map<String, Object>> items = (List<Map<String, Object>>) body.get("items");
        Map<String, Object> coupon = (Map<String, Object>) body.get("coupon");
        return new CreateOrderRequest(items, coupon == null ? null : new CouponRequest((String) coupon.get("code")));
    }

    public List<Map<String, Object>> getItems() {
        return items;
    }

    public CouponRequest getCoupon() {
        return coupon;
    }
}
""",
    "com/acme/order/api/OrderController.java": """\
package com.acme.order.api;

import com.acme.order.api.dto.CreateOrderRequest;
import com.acme.order.domain.Order;
import com.acme.order.service.OrderService;
import com.acme.order.support.AppLog;
import com.acme.order.web.HttpRequest;
import com.acme.order.web.HttpResponse;

public final class OrderController {
    private static final AppLog LOG = AppLog.getLogger(OrderController.class);

    private final OrderService orderService;

    public OrderController(OrderService orderService) {
        this.orderService = orderService;
    }

    public HttpResponse createOrder(HttpRequest request) {
        CreateOrderRequest body = CreateOrderRequest.from(request.getBody());
        LOG.info("Received order request from " + request.getUserId() + " (" + body.getItems().size() + " items)");
        Order order = orderService.placeOrder(request.getUserId(), body);
        return HttpResponse.created(order.toJson());
    }
}
""",
    "com/acme/order/domain/Order.java": """\
package com.acme.order.domain;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

public final class Order {
    private final String id;
    private final String userId;
    private final List<Map<String, Object>> items;
    private final String couponCode;
    private String status = "PENDING_PAYMENT";
    private String paymentId;

    public Order(String id, String userId, List<Map<String, Object>> items, String couponCode) {
        this.id = id;
        this.userId = userId;
        this.items = items;
        this.couponCode = couponCode;
    }

    public String getId() {
        return id;
    }

    public String getStatus() {
        return status;
    }

    public BigDecimal total() {
        BigDecimal total = BigDecimal.ZERO;
        for (Map<String, Object> item : items) {
            BigDecimal price = new BigDecimal(String.valueOf(item.get("price")));
            total = total.add(price.multiply(BigDecimal.valueOf(((Number) item.get("quantity")).longValue())));
        }
        return total;
    }

    public void markPaid(String paymentId) {
        this.paymentId = paymentId;
        this.status = "CONFIRMED";
    }

    public String toPaymentJson() {
        return "{\\"order_id\\":\\"" + id + "\\",\\"user_id\\":\\"" + userId + "\\",\\"amount\\":" + total()
                + ",\\"currency\\":\\"USD\\"}";
    }

    public String toJson() {
        return "{\\"id\\":\\"" + id + "\\",\\"status\\":\\"" + status + "\\",\\"payment_id\\":\\"" + paymentId + "\\"}";
    }
}
""",
    "com/acme/order/promo/CouponService.java": """\
package com.acme.order.promo;

import com.acme.order.api.dto.CouponRequest;
import java.util.Locale;

public final class CouponService {
    public String normalize(CouponRequest coupon) {
        return coupon.getCode().trim().toUpperCase(Locale.ROOT);
    }
}
""",
    "com/acme/order/payment/PaymentGatewayException.java": """\
package com.acme.order.payment;

public class PaymentGatewayException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PaymentGatewayException(String message, Throwable cause) {
        super(message, cause);
    }
}
""",
    "com/acme/order/payment/PaymentClient.java": """\
package com.acme.order.payment;

import com.acme.order.domain.Order;
import com.acme.order.support.AppLog;
import com.acme.order.support.Mdc;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/** Calls payment-service to authorise the payment of an order. */
public class PaymentClient {
    private static final AppLog LOG = AppLog.getLogger(PaymentClient.class);

    private final String baseUrl;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;

    public PaymentClient(String baseUrl, int connectTimeoutMillis, int readTimeoutMillis) {
        this.baseUrl = baseUrl;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    public String authorize(Order order) {
        try {
            URL url = new URL(baseUrl + "/api/v1/payments/authorize");
            HttpURLConnection conn = (HttpURLConnection) url.openConnection();
            conn.setRequestMethod("POST");
            conn.setConnectTimeout(connectTimeoutMillis);
            conn.setReadTimeout(readTimeoutMillis);
            conn.setDoOutput(true);
            conn.setRequestProperty("Content-Type", "application/json");
            conn.setRequestProperty("X-Request-ID", Mdc.get("correlationId"));
            try (OutputStream out = conn.getOutputStream()) {
                out.write(order.toPaymentJson().getBytes(StandardCharsets.UTF_8));
            }
            int status = conn.getResponseCode();
            if (status != 200) {
                throw new IOException("payment-service responded " + status);
            }
            try (InputStream in = conn.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            PaymentGatewayException ex = new PaymentGatewayException(
                    "Payment authorization failed for order " + order.getId(), e);
            LOG.error("Payment call failed for order " + order.getId(), ex);
            throw ex;
        }
    }
}
""",
    "com/acme/order/service/OrderService.java": """\
package com.acme.order.service;

import com.acme.order.api.dto.CreateOrderRequest;
import com.acme.order.domain.Order;
import com.acme.order.payment.PaymentClient;
import com.acme.order.promo.CouponService;
import com.acme.order.support.AppLog;
import java.util.concurrent.atomic.AtomicLong;

public class OrderService {
    private static final AppLog LOG = AppLog.getLogger(OrderService.class);

    private final PaymentClient paymentClient;
    private final CouponService couponService;
    private final AtomicLong sequence;

    public OrderService(PaymentClient paymentClient, CouponService couponService, long firstOrderNumber) {
        this.paymentClient = paymentClient;
        this.couponService = couponService;
        this.sequence = new AtomicLong(firstOrderNumber);
    }

    public Order placeOrder(String userId, CreateOrderRequest request) {
        String couponCode = null;
        if (request.getCoupon() != null) {
            couponCode = couponService.normalize(request.getCoupon());
        }
        Order order = new Order("ord-" + sequence.getAndIncrement(), userId, request.getItems(), couponCode);
        LOG.info("Created order " + order.getId() + " in status " + order.getStatus());
        String paymentId = paymentClient.authorize(order);
        order.markPaid(paymentId);
        LOG.info("Order " + order.getId() + " confirmed");
        return order;
    }
}
""",
}

JAVA_DRIVER = """\
import com.acme.order.api.OrderController;
import com.acme.order.payment.PaymentClient;
import com.acme.order.promo.CouponService;
import com.acme.order.service.OrderService;
import com.acme.order.support.AppLog;
import com.acme.order.web.CorrelationIdFilter;
import com.acme.order.web.GlobalExceptionHandler;
import com.acme.order.web.HttpRequest;
import com.acme.order.web.RequestDispatcher;
import com.acme.order.web.RequestWorker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Runs order-service code paths that fail and writes what printStackTrace() prints. */
public final class TraceCapture {
    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args[0]);
        Files.createDirectories(out);
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (Exception ignored) {
                    // closed
                }
            }, "silent-upstream");
            acceptor.setDaemon(true);
            acceptor.start();

            AppLog.setSink((level, logger, message, error) -> {
                if (error == null || !"ERROR".equals(level)) {
                    return;
                }
                StringWriter text = new StringWriter();
                error.printStackTrace(new PrintWriter(text, true));
                String name = logger.substring(logger.lastIndexOf('.') + 1);
                try {
                    Files.write(out.resolve(name + ".trace"), text.toString().getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });

            PaymentClient payments = new PaymentClient("http://127.0.0.1:" + silent.getLocalPort(), 1000, 300);
            OrderService orders = new OrderService(payments, new CouponService(), 10000000L);
            CorrelationIdFilter filter = new CorrelationIdFilter(
                    new RequestDispatcher(new OrderController(orders), new GlobalExceptionHandler()));
            Map<String, Object> item = Map.of("sku", "sku-1", "price", "19.99", "quantity", 1);
            Map<String, Object> coupon = new java.util.HashMap<>();
            coupon.put("code", null);

            ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), r -> new Thread(r, "http-nio-8080-exec-7"));
            executor.execute(new RequestWorker(filter, new HttpRequest("POST", "/api/v1/orders", "req-1", "user-1",
                    Map.of("items", List.of(item)))));
            executor.execute(new RequestWorker(filter, new HttpRequest("POST", "/api/v1/orders", "req-2", "user-2",
                    Map.of("items", List.of(item), "coupon", coupon))));
            executor.shutdown();
            executor.awaitTermination(30, TimeUnit.SECONDS);
        }
    }
}
"""


# --------------------------------------------------------------------------
# Running the captures
# --------------------------------------------------------------------------


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def _python_with_packages() -> str:
    candidates = [os.environ.get("CAPTURE_PYTHON"), sys.executable, str(REPO_ROOT / ".venv" / "bin" / "python")]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run([candidate, "-c", "import sqlalchemy, httpx"], capture_output=True, text=True)
        if probe.returncode == 0:
            return candidate
    sys.exit(
        "error: no Python interpreter with sqlalchemy and httpx found; install them with\n"
        '  .venv/bin/pip install "sqlalchemy>=2.0,<2.1" "httpx>=0.28,<0.29"\n'
        "or point CAPTURE_PYTHON at an interpreter that has them."
    )


def _rewrite_python_paths(text: str, tmp: Path, purelib: str, stdlib: str, py: str) -> str:
    text = text.replace(str(tmp / "srv") + "/", "/srv/")
    text = text.replace(purelib.rstrip("/") + "/", DEPLOYED_SITE_PACKAGES.format(py=py))
    text = text.replace(stdlib.rstrip("/") + "/", DEPLOYED_STDLIB.format(py=py))
    return text


def capture_traces(tmp: Path) -> dict:
    """Run the Python and Java code paths that fail; return the traces and runtime versions."""
    python = _python_with_packages()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    _write_tree(tmp / "srv" / "payment", PAYMENT_APP)
    _write_tree(tmp / "srv" / "worker", WORKER_APP)
    (tmp / "capture_payment.py").write_text(PAYMENT_DRIVER)
    (tmp / "capture_worker.py").write_text(WORKER_DRIVER)
    # The pool timeout really waits 30 s, so start it first and do the rest meanwhile.
    payment_proc = subprocess.Popen(
        [python, str(tmp / "capture_payment.py"), str(tmp)],
        cwd=tmp / "srv" / "payment",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    worker_proc = subprocess.Popen(
        [python, str(tmp / "capture_worker.py"), str(tmp)],
        cwd=tmp / "srv" / "worker",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )

    java_src = tmp / "order-service" / "src"
    _write_tree(java_src, JAVA_SOURCES)
    (java_src / "TraceCapture.java").write_text(JAVA_DRIVER)
    classes = tmp / "order-service" / "classes"
    sources = sorted(str(p) for p in java_src.rglob("*.java"))
    subprocess.run(["javac", "-g", "-encoding", "UTF-8", "-d", str(classes), *sources], check=True)
    java_out = tmp / "order-service" / "traces"
    subprocess.run(["java", "-cp", str(classes), "TraceCapture", str(java_out)], check=True)
    java_traces = {p.stem: p.read_text() for p in java_out.glob("*.trace")}
    java_version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.strip()
    javac_version = subprocess.run(["javac", "-version"], capture_output=True, text=True).stdout.strip()

    results = {}
    for name, proc in (("worker", worker_proc), ("payment", payment_proc)):
        stdout, stderr = proc.communicate(timeout=120)
        if proc.returncode != 0:
            sys.exit(f"{name} trace capture failed:\n{stderr}")
        results[name] = json.loads(stdout)

    pay, wrk = results["payment"], results["worker"]
    py = "python" + ".".join(pay["python"].split(".")[:2])
    for bundle in (pay, wrk):
        for trace in bundle["traces"].values():
            for key in ("stack_trace", "error_message", "message"):
                trace[key] = _rewrite_python_paths(trace[key], tmp, bundle["purelib"], bundle["stdlib"], py)
                for url in bundle.get("local_urls", []):
                    trace[key] = trace[key].replace(url, PAYMENT_SERVICE_URL)
    expected = {
        "payment": {"authorize", "charge", "reconcile", "settlement", "card"},
        "worker": {"key_error", "status_503", "read_timeout"},
        "java": {"PaymentClient", "GlobalExceptionHandler"},
    }
    got = {"payment": set(pay["traces"]), "worker": set(wrk["traces"]), "java": set(java_traces)}
    for key in expected:
        if expected[key] != got[key]:
            sys.exit(f"trace capture for {key} produced {sorted(got[key])}, expected {sorted(expected[key])}")
    return {
        "payment": pay["traces"],
        "worker": wrk["traces"],
        "httpx_log_format": wrk["http_log_format"],
        "java": java_traces,
        "versions": {
            "python": pay["python"],
            "sqlalchemy": pay["sqlalchemy"],
            "httpx": wrk["httpx"],
            "java": java_version.splitlines()[0] if java_version else "unknown",
            "java_runtime": java_version.splitlines()[1] if java_version.count("\n") >= 1 else "",
            "javac": javac_version,
        },
    }


# --------------------------------------------------------------------------
# Time line and formatting
# --------------------------------------------------------------------------

DAY = datetime(2026, 11, 28, tzinfo=UTC)


def hms(h: int, m: int, s: float = 0.0) -> float:
    """Seconds since 2026-11-28T00:00:00Z."""
    return h * 3600 + m * 60 + s


WINDOW_START = hms(13, 0)
WINDOW_END = hms(15, 0)
DEPLOY = hms(14, 0)
POOL_EXHAUSTED = hms(14, 3, 30)  # requests waiting from here on hit the 30 s pool timeout at ~14:04
SATURATED_FROM, SATURATED_FULL = hms(14, 4, 30), hms(14, 7)
ROLLBACK = hms(14, 38)
# Callers see the exhaustion later than payment-service's own background work.
ONSET_LAG = {"settlement": 0.0, "reconcile": 0.0, "authorize": 60.0, "charge": 70.0}
PEAK_FAILURE = 0.85
RESIDUAL_SECONDS = 135.0  # database still busy with v2.3.1's queries after the rollback

ORDER_READ_TIMEOUT = 20.0  # order-service -> payment-service
NGINX_READ_TIMEOUT = 30.0  # gateway -> upstreams
WORKER_TIMEOUT = 45.0  # worker -> payment-service
ANDROID_CLIENT_TIMEOUT = 15.0


def _dt(t: float) -> datetime:
    return DAY + timedelta(milliseconds=math.floor(t * 1000 + 1e-6))


def iso_ms(t: float) -> str:
    d = _dt(t)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def logging_ts(t: float) -> str:
    d = _dt(t)
    return d.strftime("%Y-%m-%d %H:%M:%S,") + f"{d.microsecond // 1000:03d}"


def nginx_local(t: float) -> str:
    return _dt(t).strftime("%d/%b/%Y:%H:%M:%S +0000")


def nginx_error_ts(t: float) -> str:
    return _dt(t).strftime("%Y/%m/%d %H:%M:%S")


class Sink:
    """Log records of one file, written sorted by time at the end."""

    def __init__(self) -> None:
        self.records: list[tuple[float, int, str]] = []

    def add(self, t: float, text: str) -> None:
        self.records.append((t, len(self.records), text))

    def sorted_texts(self, lo: float = WINDOW_START, hi: float = WINDOW_END) -> list[tuple[float, str]]:
        return [(t, text) for t, _, text in sorted(self.records) if lo <= t < hi]


# --------------------------------------------------------------------------
# The simulated shop
# --------------------------------------------------------------------------

H1, H2 = "payment-7d4f8b9c-xk2l9", "payment-7d4f8b9c-m8r4t"
PAYMENT_HOST_IP = {H1: "10.0.4.21", H2: "10.0.4.22"}
UPSTREAM = {
    "orders": "10.0.3.12:8080",
    "cart": "10.0.5.17:8080",
    "catalog": "10.0.6.31:8080",
    "users": "10.0.7.8:8080",
}
NGINX_WORKER_PIDS = [29, 30, 31, 32]
SERVER_NAME = "shop.example.com"

# Rolling restarts of payment-service.  The pod is taken out of the load
# balancer ("unrouted"), gets SIGTERM, the old process exits (after at most
# 30 s of draining), the new one starts and is ready a moment later.
RESTARTS = {
    H1: [
        dict(
            kind="deploy",
            unrouted=hms(13, 59, 53.4),
            sigterm=hms(13, 59, 58.412),
            exit=hms(13, 59, 58.903),
            start=hms(14, 0, 0.214),
            ready=hms(14, 0, 1.903),
            version="v2.3.1",
        ),
        dict(
            kind="rollback",
            unrouted=hms(14, 37, 29.9),
            sigterm=hms(14, 37, 30.118),
            exit=hms(14, 38, 0.118),
            start=hms(14, 38, 1.342),
            ready=hms(14, 38, 3.020),
            version="v2.3.0",
        ),
    ],
    H2: [
        dict(
            kind="deploy",
            unrouted=hms(14, 0, 2.0),
            sigterm=hms(14, 0, 7.033),
            exit=hms(14, 0, 7.518),
            start=hms(14, 0, 8.771),
            ready=hms(14, 0, 10.416),
            version="v2.3.1",
        ),
        dict(
            kind="rollback",
            unrouted=hms(14, 38, 4.9),
            sigterm=hms(14, 38, 5.207),
            exit=hms(14, 38, 35.207),
            start=hms(14, 38, 36.519),
            ready=hms(14, 38, 38.160),
            version="v2.3.0",
        ),
    ],
}

SLOW_SQL = (
    "SELECT pm.id, pm.token, pm.brand, pm.last4 FROM payment_methods pm "
    "JOIN payments p ON p.payment_method_id = pm.id "
    "WHERE pm.user_id = %(user_id)s ORDER BY p.created_at DESC LIMIT 1"
)

_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
WEB_AGENTS = [
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36",
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {_SAFARI} Version/18.1 Safari/605.1.15",
    f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) {_SAFARI} Version/18.1 Mobile/15E148 Safari/604.1",
    f"Mozilla/5.0 (Linux; Android 14; SM-S918B) {_WEBKIT} Chrome/131.0.6778.39 Mobile Safari/537.36",
]
IOS_AGENTS = ["ShopApp/4.12.1 (iPhone; iOS 18.1; Scale/3.00)", "ShopApp/4.11.0 (iPhone; iOS 17.6.1; Scale/3.00)"]
ANDROID_AGENTS = ["ShopApp/4.12.1 (Android 14; Pixel 8)", "ShopApp/4.12.1 (Android 13; SM-A546B)", "okhttp/4.12.0"]
SCANNER_AGENTS = ["Mozilla/5.0 zgrab/0.x", "python-requests/2.32.3", "Go-http-client/1.1", "curl/8.5.0"]
SCANNER_PATHS = [
    "/.env",
    "/wp-login.php",
    "/.git/config",
    "/phpmyadmin/index.php",
    "/admin/.env",
    "/wp-content/plugins/index.php",
    "/server-status",
    "/config.json",
    "/backup.zip",
    "/xmlrpc.php",
]
CATEGORIES = ["shoes", "jackets", "bags", "accessories", "kids", "sale", "outdoor", "home"]
SEARCH_TERMS = [
    "rain+jacket",
    "sneakers",
    "wool+socks",
    "backpack",
    "gift+card",
    "winter+boots",
    "scarf",
    "black+friday",
]
PRICES = [4.99, 9.99, 14.5, 19.99, 24.99, 29.0, 39.9, 49.99, 59.0, 79.99, 99.0, 129.0, 149.99, 189.0, 249.0]
MERCHANTS = ["merchant-789", "merchant-112", "merchant-455", "merchant-231"]
EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
DECLINE_REASONS = ["insufficient_funds", "card_declined", "expired_card", "do_not_honor"]


class Shop:
    def __init__(self, traces: dict) -> None:
        self.rng = random.Random(SEED)
        self.traces = traces
        self.pay = Sink()
        self.order = Sink()
        self.worker = Sink()
        self.gw_requests: list[dict] = []
        self.gw_errors: list[dict] = []
        self.order_seq = 0
        self.order_created: dict[int, float] = {}  # provisional order key -> creation time
        self.order_outcomes: list[tuple[float, int]] = []
        self.tomcat: dict[int, list[tuple[float, float]]] = {n: [] for n in range(1, 11)}
        self.order_tx: list[tuple[float, float]] = []  # spans holding an order-service DB connection
        self.aborted: Counter = Counter()
        self.checkout_users: Counter = Counter()  # user id -> checkout requests (orders and charges)
        self.incident_users: set[str] = set()  # users who got a 5xx or 499 on checkout
        self.jitter = {m: self.rng.uniform(0.8, 1.08) for m in range(24 * 60)}
        self.catalog = [
            (
                f"sku-{self.rng.randrange(10000, 99999)}",
                round(self.rng.choice(PRICES) * self.rng.choice([1, 1, 1, 0.9, 0.8]), 2),
                self.rng.choice(MERCHANTS),
            )
            for _ in range(240)
        ]
        self._make_users()

    # ----- ids -----------------------------------------------------------
    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def req_id(self) -> str:
        return "req-" + self.uuid4()

    def hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def token(self, n: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def ip(self) -> str:
        net = self.rng.choice(["203.0.113", "198.51.100", "192.0.2"])
        return f"{net}.{self.rng.randrange(2, 255)}"

    def _make_users(self) -> None:
        r = self.rng
        ids = r.sample(range(10000, 99999), 900)
        self.users = []
        for n in ids:
            platform = r.choices(["web", "ios", "android"], [0.45, 0.33, 0.22])[0]
            agents = {"web": r.choice(WEB_AGENTS), "ios": r.choice(IOS_AGENTS), "android": r.choice(ANDROID_AGENTS)}
            agent = agents[platform]
            name = r.choice("abcdefghijklmnoprstvwz")
            self.users.append(
                {
                    "id": f"user-{n}",
                    "platform": platform,
                    "agent": agent,
                    "ip": self.ip(),
                    "email": f"{name}***@{r.choice(EMAIL_DOMAINS)}",
                    "currency": r.choices(["USD", "EUR", "GBP"], [0.8, 0.12, 0.08])[0],
                }
            )
        # a few households / offices share an address
        for _ in range(25):
            a, b = r.sample(self.users, 2)
            b["ip"] = a["ip"]
        weights = [1.0 / (rank + 3) ** 0.9 for rank in range(len(self.users))]
        self.user_cum = list(itertools.accumulate(weights))

    def pick_user(self) -> dict:
        x = self.rng.random() * self.user_cum[-1]
        return self.users[bisect.bisect_left(self.user_cum, x)]

    # ----- payment-service state ----------------------------------------
    @staticmethod
    def version_at(host: str, t: float) -> str:
        version = "v2.3.0"
        for r in RESTARTS[host]:
            if t >= r["start"]:
                version = r["version"]
        return version

    @staticmethod
    def routable(host: str, t: float) -> bool:
        return not any(r["unrouted"] <= t < r["ready"] for r in RESTARTS[host])

    @staticmethod
    def residual(host: str, t: float) -> float:
        """0..1: how much the database is still struggling after the rollback."""
        ready = next(r["ready"] for r in RESTARTS[host] if r["kind"] == "rollback")
        first_ready = min(r["ready"] for h in RESTARTS for r in RESTARTS[h] if r["kind"] == "rollback")
        if t < ready:
            return 0.0
        return max(0.0, 1.0 - (t - first_ready) / RESIDUAL_SECONDS)

    def severity(self, x: float, batch: bool) -> float:
        """Chance that a request started at x waits out the pool timeout (batch jobs starve first)."""
        if x < POOL_EXHAUSTED:
            return 0.0
        if batch:
            return min(0.97, (x - POOL_EXHAUSTED) / 10.0)
        ramp = min(1.0, (x - POOL_EXHAUSTED) / 20.0)
        return min(0.96, PEAK_FAILURE * ramp * self.jitter[int(x // 60)])

    def fail_prob(self, t: float, caller: str, host: str) -> float:
        if self.version_at(host, t) == "v2.3.1":
            return self.severity(t - ONSET_LAG[caller], caller in ("settlement", "reconcile"))
        return 0.55 * self.residual(host, t)

    def queue_delay(self, t: float, host: str) -> float:
        if self.version_at(host, t) == "v2.3.1":
            sat = min(1.0, max(0.0, (t - SATURATED_FROM) / (SATURATED_FULL - SATURATED_FROM)))
            return sat * self.rng.uniform(0.0, 22.0) + self.rng.uniform(0.0, 0.05)
        return self.residual(host, t) * self.rng.uniform(0.0, 4.0)

    def success_latency(self, t: float, caller: str, host: str) -> tuple[float, float]:
        r = self.rng
        base = {"authorize": 0.085, "charge": 0.13, "reconcile": 0.32, "settlement": 0.22}[caller]
        d = base * r.lognormvariate(0, 0.35)
        if r.random() < 0.006:
            d += r.uniform(1.1, 4.0)
        slow_query = 0.0
        uses_slow_query = caller in ("authorize", "charge")
        if self.version_at(host, t) == "v2.3.1":
            if t < POOL_EXHAUSTED:
                frac = max(0.0, (t - DEPLOY) / (POOL_EXHAUSTED - DEPLOY))
                if uses_slow_query:
                    slow_query = (0.35 + 4.5 * frac**1.6) * r.lognormvariate(0, 0.3)
                d += slow_query + 3.0 * frac**3 * r.random()
            else:
                if uses_slow_query:
                    slow_query = r.uniform(1.5, 5.0)
                d += slow_query + r.uniform(0.5, 13.0)
        else:
            d += 8.0 * self.residual(host, t) * r.random()
        cap = {"authorize": 18.5, "charge": 27.0, "reconcile": 40.0, "settlement": 25.0}[caller]
        return min(d, cap * r.uniform(0.93, 1.0)), slow_query

    def pool_usage(self, t: float, host: str) -> tuple[int, int]:
        """(checked_out, waiting) as the pool monitor would report them."""
        r = self.rng
        if self.version_at(host, t) == "v2.3.1" and t >= DEPLOY:
            if t < POOL_EXHAUSTED:
                frac = (t - DEPLOY) / (POOL_EXHAUSTED - DEPLOY)
                return min(15, int(2 + 13 * frac**0.8 + r.uniform(0, 2))), 0 if frac < 0.8 else r.randrange(0, 6)
            return 15, int(r.uniform(8, 38) * min(1.0, (t - POOL_EXHAUSTED) / 200 + 0.3))
        res = self.residual(host, t)
        if res > 0:
            return min(15, int(4 + 11 * res + r.uniform(0, 1))), int(20 * res * r.random())
        return r.randrange(0, 4), 0

    # ----- payment-service log lines ---------------------------------------
    def pay_line(
        self,
        t: float,
        level: str,
        logger: str,
        message: str,
        host: str,
        *,
        version: str | None = None,
        corr: str | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        error: dict | None = None,
        user: dict | None = None,
        request: dict | None = None,
        context: dict | None = None,
    ) -> None:
        rec = {
            "timestamp": iso_ms(t),
            "level": level,
            "message": message,
            "correlation_id": corr,
            "trace_id": trace_id,
            "span_id": span_id,
            "service": "payment-service",
            "environment": "production",
            "host": host,
            "version": version or self.version_at(host, t),
            "logger": logger,
        }
        if error is not None:
            rec["error"] = error
        if user is not None:
            rec["user"] = user
        if request is not None:
            rec["request"] = request
        rec["context"] = context if context is not None else {}
        self.pay.add(t, json.dumps(rec))

    def pay_error(self, name: str) -> dict:
        tr = self.traces["payment"][name]
        return {"type": tr["type"], "message": tr["error_message"], "stack_trace": tr["stack_trace"]}

    def payment_call(
        self,
        t0: float,
        caller: str,
        corr: str,
        trace_id: str,
        *,
        user: dict | None = None,
        context: dict | None = None,
        bad_card: bool = False,
        avoid_restart_within: float = 0.0,
    ) -> dict:
        """One HTTP request handled by payment-service.  Emits its log lines and returns the outcome."""
        hosts = [h for h in (H1, H2) if self.routable(h, t0)]
        if avoid_restart_within:
            hosts = [
                h for h in hosts if not any(t0 <= r["unrouted"] < t0 + avoid_restart_within for r in RESTARTS[h])
            ] or hosts
        self.rng.shuffle(hosts)
        for host in hosts:
            outcome, lines = self._simulate(host, t0, caller, corr, trace_id, user, context or {}, bad_card)
            crossing = [r for r in RESTARTS[host] if t0 < r["exit"] < outcome["end"] and r["unrouted"] > t0 - 60]
            if crossing and crossing[0]["kind"] == "deploy":
                continue  # the load balancer would not have sent a long request here; try the other pod
            if crossing:
                self.aborted[(host, crossing[0]["exit"])] += 1
                outcome.update(aborted=True, status=None)
                return outcome
            for args, kwargs in lines:
                self.pay_line(*args, **kwargs)
            return outcome
        raise AssertionError("no payment-service host available")

    def _simulate(self, host, t0, caller, corr, trace_id, user, context, bad_card):
        r = self.rng
        path = f"/api/v1/payments/{caller}"
        span = self.hex(64)
        ids = dict(corr=corr, trace_id=trace_id, span_id=span)
        lines = []

        def line(t, level, logger, message, **kw):
            lines.append(((t, level, logger, message, host), dict(ids, **kw)))

        def req(status=None, duration=None):
            d = {"method": "POST", "path": path}
            if status is not None:
                d["status_code"] = status
                d["duration_ms"] = round(duration * 1000)
            return d

        if r.random() < 0.12:
            co, _ = self.pool_usage(t0, host)
            line(
                t0 + 0.002,
                "DEBUG",
                "payment.db.pool",
                f"Checked out connection from pool (checked_out={co}/15)",
                user=user,
                request=req(),
                context={"checked_out": co, "pool_size": 5, "max_overflow": 10},
            )

        if caller == "charge" and bad_card:
            end = t0 + r.uniform(0.003, 0.009)
            line(
                end,
                "ERROR",
                "payment.api",
                "Payment request rejected: POST /api/v1/payments/charge",
                error=self.pay_error("card"),
                user=user,
                request=req(422, end - t0),
                context=context,
            )
            return {"end": end, "status": 422, "host": host, "failed": False, "declined": None}, lines

        if r.random() < self.fail_prob(t0, caller, host):
            q = self.queue_delay(t0, host)
            handled = 30.0 + r.uniform(0.003, 0.028)
            end = t0 + q + handled
            line(
                end,
                "ERROR",
                "payment.db",
                f"Database error while handling POST {path}",
                error=self.pay_error(caller),
                user=user,
                request=req(503, handled),
                context=context,
            )
            return {"end": end, "status": 503, "host": host, "failed": True, "declined": None}, lines

        d, slow_query = self.success_latency(t0, caller, host)
        end = t0 + d
        if slow_query > 1.0:
            ms = int(slow_query * 1000)
            line(
                t0 + min(d * 0.9, d - 0.01),
                "WARN",
                "payment.db",
                f"Slow query ({ms} ms): {SLOW_SQL}",
                user=user,
                request=req(),
                context={"query_ms": ms, "rows": 1},
            )
        if d > 2.0:
            line(
                end - 0.0005,
                "WARN",
                "payment.api",
                f"Slow request: POST {path} took {int(d * 1000)} ms",
                user=user,
                request=req(),
                context={"threshold_ms": 2000},
            )
        if caller == "reconcile":
            n = context.get("batch_size", 1)
            line(
                end,
                "INFO",
                "payment.reconciliation",
                f"Reconciled {n} payments (0 mismatches)",
                request=req(200, d),
                context=context,
            )
            return {"end": end, "status": 200, "host": host, "failed": False, "declined": None}, lines
        decline_p = 0.03 if caller == "authorize" else 0.06
        order_id = context.get("order_id")
        if r.random() < decline_p:
            reason = r.choice(DECLINE_REASONS)
            line(
                end,
                "INFO",
                "payment.api",
                f"Payment declined for order {order_id}: {reason}",
                user=user,
                request=req(402, d),
                context=dict(context, decline_reason=reason),
            )
            return {"end": end, "status": 402, "host": host, "failed": False, "declined": reason}, lines
        payment_id = "pay_" + self.token(14, "0123456789abcdef")
        status = 200 if caller == "authorize" else 201
        verb = "authorized" if caller == "authorize" else "captured"
        line(
            end,
            "INFO",
            "payment.api",
            f"Payment {payment_id} {verb} for order {order_id}",
            user=user,
            request=req(status, d),
            context=dict(context, payment_id=payment_id),
        )
        return {
            "end": end,
            "status": status,
            "host": host,
            "failed": False,
            "declined": None,
            "payment_id": payment_id,
        }, lines

    # ----- gateway ----------------------------------------------------------
    def gw(
        self,
        session: dict,
        start: float,
        end: float,
        method: str,
        uri: str,
        status: int,
        size: int,
        referer: str = "-",
        req_id: str | None = None,
    ) -> dict:
        rec = {
            "start": start,
            "end": end,
            "ip": session["ip"],
            "method": method,
            "uri": uri,
            "proto": session["proto"],
            "status": status,
            "bytes": size,
            "referer": referer,
            "agent": session["agent"],
            "req_id": req_id or self.req_id(),
        }
        self.gw_requests.append(rec)
        return rec

    def gw_error(self, t: float, level: str, message: str, req: dict, upstream: str | None = None) -> None:
        self.gw_errors.append({"t": t, "level": level, "message": message, "req": req, "upstream": upstream})

    def simple_request(
        self,
        s: dict,
        t: float,
        method: str,
        uri: str,
        upstream: str,
        status: int = 200,
        size: int | None = None,
        latency: float | None = None,
        referer: str = "-",
    ) -> float:
        r = self.rng
        if latency is None:
            latency = {"catalog": 0.035, "cart": 0.018, "users": 0.012}[upstream] * r.lognormvariate(0, 0.5)
            if r.random() < 0.004:
                latency += r.uniform(0.8, 2.5)
        if size is None:
            size = r.randrange(300, 2500)
        end = t + latency + 0.001
        rec = self.gw(s, t, end, method, uri, status, size, referer)
        if upstream == "catalog" and size > 15000 and r.random() < 0.25:
            self.gw_error(
                end - 0.001,
                "warn",
                "an upstream response is buffered to a temporary file "
                f"/var/cache/nginx/proxy_temp/{r.randrange(1, 10)}/{r.randrange(10, 99)}/"
                f"{r.randrange(1, 9999999):010d} while reading upstream",
                rec,
                f"http://{UPSTREAM['catalog']}{uri}",
            )
        return end

    # ----- order-service ------------------------------------------------------
    def tomcat_thread(self, a: float, b: float) -> str:
        free = [n for n, spans in self.tomcat.items() if all(b <= x or a >= y for x, y in spans)]
        if not free:
            n = len(self.tomcat) + 1
            self.tomcat[n] = []
            free = [n]
        n = self.rng.choice(free[:8])
        self.tomcat[n].append((a, b))
        return f"http-nio-8080-exec-{n}"

    def order_line(
        self, t: float, level: str, thread: str, corr: str, logger: str, message: str, trace: str | None = None
    ) -> None:
        text = f"{logging_ts(t)} {level:<5} [{thread}] [{corr}] {logger} - {message}"
        if trace:
            text += "\n" + trace
        self.order.add(t, text)

    def java_trace(self, name: str, order_id: str | None = None) -> str:
        text = self.traces["java"][name].rstrip("\n")
        if order_id:
            text = text.replace("ord-10000000", order_id)
        return text

    def place_order(
        self, s: dict, t0: float, coupon_bug: bool = False, new_card: bool = False
    ) -> tuple[float, int, str | None, dict]:
        r = self.rng
        corr, trace_id = self.req_id(), self.hex(128)
        user = s["user"]
        items = [r.choice(self.catalog) for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4]))]
        amount = round(sum(price for _, price, _ in items), 2)
        merchant = items[0][2]
        arrive = t0 + r.uniform(0.001, 0.004)
        lines = []  # (t, level, logger, message, trace)
        C = "com.acme.order."
        order_id = None
        if r.random() < 0.012:
            end = arrive + r.uniform(0.004, 0.012)
            lines.append(
                (
                    end - 0.001,
                    "WARN",
                    C + "web.GlobalExceptionHandler",
                    "Validation failed for POST /api/v1/orders: items[0].quantity must be greater than 0",
                    None,
                )
            )
            status, size = 400, 187
        elif coupon_bug:
            lines.append(
                (
                    arrive + 0.001,
                    "INFO",
                    C + "api.OrderController",
                    f"Received order request from {user['id']} ({len(items)} items)",
                    None,
                )
            )
            end = arrive + r.uniform(0.006, 0.015)
            lines.append(
                (
                    end - 0.002,
                    "ERROR",
                    C + "web.GlobalExceptionHandler",
                    "Unhandled exception processing POST /api/v1/orders",
                    self.java_trace("GlobalExceptionHandler"),
                )
            )
            status, size = 500, 28
        else:
            # Sessions are simulated one after another, so ids are numbered by
            # creation time at the end (see finalize_order_ids).
            self.order_seq += 1
            order_id = f"ord-#{self.order_seq}#"
            lines.append(
                (
                    arrive + 0.001,
                    "INFO",
                    C + "api.OrderController",
                    f"Received order request from {user['id']} ({len(items)} items)",
                    None,
                )
            )
            reserved = arrive + r.uniform(0.006, 0.05)
            lines.append(
                (
                    reserved,
                    "INFO",
                    C + "inventory.InventoryClient",
                    f"Reserved stock for {len(items)} items (reservation rsv-{self.hex(32)})",
                    None,
                )
            )
            created = reserved + r.uniform(0.002, 0.01)
            self.order_created[self.order_seq] = created
            lines.append(
                (
                    created,
                    "INFO",
                    C + "service.OrderService",
                    f"Created order {order_id} in status PENDING_PAYMENT",
                    None,
                )
            )
            call = created + 0.001
            if new_card:
                end = call + r.uniform(0.002, 0.008)
                lines.append(
                    (
                        end - 0.001,
                        "INFO",
                        C + "service.OrderService",
                        f"Order {order_id} awaiting card payment from client",
                        None,
                    )
                )
                status, size = 201, r.randrange(560, 640)
                pay = None
            else:
                pay = self.payment_call(
                    call,
                    "authorize",
                    corr,
                    trace_id,
                    user={"id": user["id"], "ip": s["ip"], "session_id": s["session_id"]},
                    context={
                        "amount": amount,
                        "currency": user["currency"],
                        "merchant_id": merchant,
                        "order_id": order_id,
                    },
                )
                if pay.get("aborted") or pay["failed"] or pay["end"] - call >= ORDER_READ_TIMEOUT:
                    err = call + ORDER_READ_TIMEOUT + r.uniform(0.0005, 0.003)
                    lines.append(
                        (
                            err,
                            "ERROR",
                            C + "payment.PaymentClient",
                            f"Payment call failed for order {order_id}",
                            self.java_trace("PaymentClient", order_id),
                        )
                    )
                    lines.append(
                        (
                            err + 0.001,
                            "WARN",
                            C + "web.GlobalExceptionHandler",
                            f"Responding 502 BAD_GATEWAY to POST /api/v1/orders: "
                            f"Payment authorization failed for order {order_id}",
                            None,
                        )
                    )
                    end, status, size = err + 0.002, 502, 31
                elif pay["declined"]:
                    lines.append(
                        (
                            pay["end"] + 0.002,
                            "WARN",
                            C + "payment.PaymentClient",
                            f"Payment declined for order {order_id}: {pay['declined']}",
                            None,
                        )
                    )
                    end = pay["end"] + 0.004
                    lines.append(
                        (
                            end - 0.001,
                            "INFO",
                            C + "service.OrderService",
                            f"Order {order_id} cancelled: payment declined",
                            None,
                        )
                    )
                    status, size = 402, r.randrange(140, 160)
                else:
                    took = pay["end"] - call
                    if took > 2.0:
                        lines.append(
                            (
                                pay["end"] + 0.002,
                                "WARN",
                                C + "payment.PaymentClient",
                                f"Slow payment authorization for order {order_id}: {int(took * 1000)} ms",
                                None,
                            )
                        )
                    end = pay["end"] + r.uniform(0.003, 0.012)
                    lines.append((end - 0.001, "INFO", C + "service.OrderService", f"Order {order_id} confirmed", None))
                    status, size = 201, r.randrange(620, 780)
                    self.receipt_job(end + r.uniform(0.4, 3.5), order_id, user)
        thread = self.tomcat_thread(arrive, end)
        if order_id:
            self.order_tx.append((arrive, end))
        for t, level, logger, message, trace in lines:
            self.order_line(t, level, thread, corr, logger, message, trace)
        outcome = {400: "rejected", 402: "declined", 500: "failed", 502: "failed"}.get(status, "confirmed")
        self.order_outcomes.append((end, "awaiting" if new_card and status == 201 else outcome))
        gw_end = end + r.uniform(0.001, 0.004)
        if s["platform"] == "android" and gw_end - t0 > ANDROID_CLIENT_TIMEOUT:
            self.gw(
                s,
                t0,
                t0 + ANDROID_CLIENT_TIMEOUT + r.uniform(0.001, 0.01),
                "POST",
                "/api/v1/orders",
                499,
                0,
                s["ref"]("/checkout"),
                corr,
            )
            self.note_checkout(user, 499)
            return t0 + ANDROID_CLIENT_TIMEOUT, 499, order_id, {"amount": amount, "merchant": merchant}
        self.gw(s, t0, gw_end, "POST", "/api/v1/orders", status, size, s["ref"]("/checkout"), corr)
        self.note_checkout(user, status)
        return gw_end, status, order_id, {"amount": amount, "merchant": merchant}

    def note_checkout(self, user: dict, status: int) -> None:
        self.checkout_users[user["id"]] += 1
        if status >= 500 or status == 499:
            self.incident_users.add(user["id"])

    def direct_charge(
        self, s: dict, t0: float, order_id: str, amount: float, merchant: str, bad_card: bool
    ) -> tuple[float, int]:
        r = self.rng
        corr, trace_id = self.req_id(), self.hex(128)
        user = s["user"]
        down = [h for h in (H1, H2) if not self.routable(h, t0)]
        refused = down[0] if down and r.random() < 0.5 else None
        pay = self.payment_call(
            t0 + 0.002 + (0.001 if refused else 0.0),
            "charge",
            corr,
            trace_id,
            bad_card=bad_card,
            user={"id": user["id"], "ip": s["ip"], "session_id": s["session_id"]},
            context={"amount": amount, "currency": user["currency"], "merchant_id": merchant, "order_id": order_id},
        )
        upstream = f"http://{PAYMENT_HOST_IP[pay['host']]}:8000/api/v1/payments/charge"
        referer = s["ref"]("/checkout/payment")
        if pay.get("aborted") or pay["end"] - t0 >= NGINX_READ_TIMEOUT:
            end = t0 + NGINX_READ_TIMEOUT + r.uniform(0.001, 0.006)
            status, size = 504, 167
        else:
            end = pay["end"] + r.uniform(0.001, 0.003)
            status = pay["status"]
            size = {201: r.randrange(300, 330), 402: r.randrange(140, 160), 422: 96}[status]
        if s["platform"] == "android" and end - t0 > ANDROID_CLIENT_TIMEOUT:
            rec = self.gw(
                s,
                t0,
                t0 + ANDROID_CLIENT_TIMEOUT + r.uniform(0.001, 0.01),
                "POST",
                "/api/v1/payments/charge",
                499,
                0,
                referer,
                corr,
            )
            status, end = 499, rec["end"]
        else:
            rec = self.gw(s, t0, end, "POST", "/api/v1/payments/charge", status, size, referer, corr)
        if refused:
            refused_url = f"http://{PAYMENT_HOST_IP[refused]}:8000/api/v1/payments/charge"
            self.gw_error(
                t0 + 0.001,
                "error",
                "connect() failed (111: Connection refused) while connecting to upstream",
                rec,
                refused_url,
            )
            self.gw_error(
                t0 + 0.001,
                "warn",
                "upstream server temporarily disabled while connecting to upstream",
                rec,
                refused_url,
            )
        self.note_checkout(user, status)
        if pay["status"] == 201 and not pay.get("aborted"):
            self.receipt_job(pay["end"] + r.uniform(0.4, 3.5), order_id, user)
        if status == 504:
            self.gw_error(
                end,
                "error",
                "upstream timed out (110: Connection timed out) while reading response header from upstream",
                rec,
                upstream,
            )
        return end, status

    # ----- worker ----------------------------------------------------------------
    def worker_line(self, t: float, level: str, logger: str, message: str, trace: str | None = None) -> None:
        text = f"{logging_ts(t)} {level} [{logger}] {message}"
        if trace:
            text += "\n" + trace
        self.worker.add(t, text)

    def job_id(self) -> str:
        return "job-" + self.hex(48)

    def receipt_job(self, t: float, order_id: str, user: dict) -> None:
        r = self.rng
        job = self.job_id()
        self.worker_line(t, "INFO", "app.runner", f"Picked up job send_receipt[{job}] (queue=emails, attempt 1)")
        t += r.uniform(0.002, 0.02)
        smtp = 0.12 * r.lognormvariate(0, 0.4)
        if r.random() < 0.02:
            smtp += r.uniform(2.0, 6.0)
            self.worker_line(
                t + smtp - 0.001, "WARNING", "app.mailer", f"SMTP server smtp.internal:25 slow to respond ({smtp:.2f}s)"
            )
        self.worker_line(t + smtp, "INFO", "app.jobs.receipts", f"Sent receipt for order {order_id} to {user['email']}")
        self.worker_line(
            t + smtp + 0.001, "INFO", "app.runner", f"Job send_receipt[{job}] succeeded in {smtp + 0.004:.3f}s"
        )

    def malformed_receipt_job(self, t: float) -> None:
        job = self.job_id()
        tr = self.traces["worker"]["key_error"]
        self.worker_line(t, "ERROR", "app.runner", f"Job send_receipt[{job}] failed", tr["stack_trace"])
        self.worker_line(
            t + 0.002,
            "WARNING",
            "app.runner",
            f"Job send_receipt[{job}] is not retryable (KeyError); moved to dead-letter queue",
        )

    def reconcile_job(self, t: float) -> float:
        """Run one reconcile job including its retries; return when it finished."""
        r = self.rng
        job = self.job_id()
        batch = r.randrange(1, 6)
        attempt = 1
        while True:
            corr, trace_id = self.req_id(), self.hex(128)
            self.worker_line(t, "INFO", "app.jobs.reconcile", f"Reconciling {batch} pending payments")
            pay = self.payment_call(
                t + 0.004,
                "reconcile",
                corr,
                trace_id,
                context={"batch_size": batch},
                avoid_restart_within=WORKER_TIMEOUT + 1,
            )
            url = f"{PAYMENT_SERVICE_URL}/api/v1/payments/reconcile"
            fmt = self.traces["httpx_log_format"]
            if not pay.get("aborted") and pay["end"] - t < WORKER_TIMEOUT:
                done = pay["end"] + 0.002
                reason = "OK" if pay["status"] == 200 else "Service Unavailable"
                self.worker_line(done, "INFO", "httpx", fmt % ("POST", url, "HTTP/1.1", pay["status"], reason))
                if pay["status"] == 200:
                    self.worker_line(
                        done + 0.001,
                        "INFO",
                        "app.jobs.reconcile",
                        f"Reconciled {batch} payments: {batch} settled, 0 mismatches",
                    )
                    self.worker_line(
                        done + 0.002,
                        "INFO",
                        "app.runner",
                        f"Job reconcile_payments[{job}] succeeded in {done - t + 0.002:.3f}s",
                    )
                    return done + 0.002
                failed_at = done + 0.002
                trace = self.traces["worker"]["status_503"]["stack_trace"]
            else:
                failed_at = t + WORKER_TIMEOUT + r.uniform(0.002, 0.02)
                trace = self.traces["worker"]["read_timeout"]["stack_trace"]
            self.worker_line(failed_at, "ERROR", "app.runner", f"Job reconcile_payments[{job}] failed", trace)
            if attempt == 5:
                self.worker_line(
                    failed_at + 0.001,
                    "ERROR",
                    "app.runner",
                    f"Job reconcile_payments[{job}] failed permanently after 5 attempts",
                )
                return failed_at + 0.001
            backoff = 30 * 2 ** (attempt - 1)
            attempt += 1
            self.worker_line(
                failed_at + 0.001,
                "WARNING",
                "app.runner",
                f"Retrying job reconcile_payments[{job}] in {backoff}s (attempt {attempt} of 5)",
            )
            t = failed_at + backoff + r.uniform(0.01, 0.2)

    # ----- sessions -------------------------------------------------------------
    def think(self) -> float:
        return 0.6 + self.rng.expovariate(1 / 6.0)

    def new_session(self, user: dict | None) -> dict:
        r = self.rng
        if user is None:
            platform = "web"
            agent, ip = r.choice(WEB_AGENTS), self.ip()
        else:
            platform, agent, ip = user["platform"], user["agent"], user["ip"]
        web = platform == "web"
        return {
            "user": user,
            "platform": platform,
            "agent": agent,
            "ip": ip,
            "proto": "HTTP/2.0" if web else "HTTP/1.1",
            "session_id": "sess-" + self.token(12),
            "ref": (lambda page: f"https://{SERVER_NAME}{page}") if web else (lambda page: "-"),
        }

    def browse(self, s: dict, t: float) -> float:
        r = self.rng
        x = r.random()
        if x < 0.35:
            cat = r.choice(CATEGORIES)
            uri = f"/api/v1/products?category={cat}&page={r.choice([1, 1, 1, 2, 3])}"
            return self.simple_request(
                s, t, "GET", uri, "catalog", size=r.randrange(6000, 21000), referer=s["ref"](f"/c/{cat}")
            )
        if x < 0.5:
            uri = f"/api/v1/search?q={r.choice(SEARCH_TERMS)}"
            return self.simple_request(
                s, t, "GET", uri, "catalog", size=r.randrange(3000, 16000), referer=s["ref"]("/search")
            )
        sku = r.choice(self.catalog)[0]
        if r.random() < 0.025:
            return self.simple_request(
                s,
                t,
                "GET",
                f"/api/v1/products/sku-{r.randrange(10000, 99999)}",
                "catalog",
                404,
                78,
                referer=s["ref"]("/search"),
            )
        return self.simple_request(
            s,
            t,
            "GET",
            f"/api/v1/products/{sku}",
            "catalog",
            size=r.randrange(1200, 3600),
            referer=s["ref"](f"/p/{sku}"),
        )

    def session(self, t: float, user: dict | None) -> None:
        r = self.rng
        s = self.new_session(user)
        if user and s["platform"] != "web" and r.random() < 0.6:
            if r.random() < 0.04:
                t = self.simple_request(s, t, "GET", "/api/v1/users/me", "users", 401, 71) + 0.3
                t = self.simple_request(s, t, "POST", "/api/v1/auth/refresh", "users", 200, r.randrange(420, 480))
            t = self.simple_request(s, t, "GET", "/api/v1/users/me", "users", 200, r.randrange(350, 520)) + self.think()
        for _ in range(min(8, 1 + int(r.expovariate(0.55)))):
            t = self.browse(s, t) + self.think()
        if user is None:
            return
        for _ in range(r.choice([0, 1, 1, 1, 2, 3])):
            if r.random() < 0.02:
                t = (
                    self.simple_request(s, t, "POST", "/api/v1/cart/items", "cart", 400, 96, referer=s["ref"]("/cart"))
                    + self.think()
                )
            t = (
                self.simple_request(
                    s, t, "POST", "/api/v1/cart/items", "cart", 201, r.randrange(400, 900), referer=s["ref"]("/cart")
                )
                + self.think()
            )
        if r.random() < 0.03:
            t = (
                self.simple_request(
                    s,
                    t,
                    "DELETE",
                    f"/api/v1/cart/items/{r.randrange(100000, 999999)}",
                    "cart",
                    204,
                    0,
                    referer=s["ref"]("/cart"),
                )
                + self.think()
            )
        if r.random() < 0.035:
            t = self.simple_request(
                s,
                t,
                "GET",
                "/api/v1/orders",
                "orders",
                200,
                r.randrange(800, 4000),
                latency=0.03 * r.lognormvariate(0, 0.4),
                referer=s["ref"]("/account/orders"),
            )
            t += self.think()
            old = f"ord-{r.randrange(80000, 88000)}"
            amount = r.choice(self.catalog)[1]
            self.direct_charge(s, t, old, amount, r.choice(MERCHANTS), r.random() < 0.03)
            return
        if r.random() < 0.5:
            self.checkout(s, t)

    def checkout(self, s: dict, t: float) -> None:
        r = self.rng
        t = self.simple_request(
            s, t, "GET", "/api/v1/cart", "cart", 200, r.randrange(500, 2600), referer=s["ref"]("/cart")
        ) + r.uniform(2.0, 20.0)
        coupon_bug = r.random() < 0.002
        new_card = r.random() < 0.25
        for _attempt in range(3):
            end, status, order_id, info = self.place_order(s, t, coupon_bug=coupon_bug, new_card=new_card)
            if status == 201 and new_card:
                t = end + r.uniform(6.0, 45.0)  # customer types the card details
                for _ in range(3):
                    end, status = self.direct_charge(
                        s, t, order_id, info["amount"], info["merchant"], r.random() < 0.01
                    )
                    if status in (201, 402) or r.random() < 0.4:
                        return
                    t = end + r.uniform(4.0, 30.0)
                return
            if status == 201:
                if r.random() < 0.55:
                    self.simple_request(
                        s,
                        end + r.uniform(0.3, 2.0),
                        "GET",
                        f"/api/v1/orders/{order_id}",
                        "orders",
                        200,
                        r.randrange(800, 1500),
                        latency=0.02 * r.lognormvariate(0, 0.4),
                        referer=s["ref"](f"/orders/{order_id}"),
                    )
                return
            if status == 402 and r.random() < 0.6:
                t = end + r.uniform(8.0, 40.0)
                bad = r.random() < 0.05
                end, status = self.direct_charge(s, t, order_id, info["amount"], info["merchant"], bad)
                if status == 422 and r.random() < 0.7:
                    self.direct_charge(s, end + r.uniform(5.0, 25.0), order_id, info["amount"], info["merchant"], False)
                return
            if status == 500 and r.random() < 0.5:
                coupon_bug = False
                t = end + r.uniform(3.0, 15.0)
                continue
            if status in (499, 502, 504) and r.random() < 0.5:
                t = end + r.uniform(3.0, 40.0)
                continue
            return

    # ----- periodic and background activity -------------------------------------
    def background(self) -> None:
        r = self.rng
        # load balancer health checks against the gateway itself
        for lb, offset in (("10.0.0.5", 3.1), ("10.0.0.6", 8.6)):
            s = {"ip": lb, "agent": "ELB-HealthChecker/2.0", "proto": "HTTP/1.1"}
            t = WINDOW_START + offset
            while t < WINDOW_END:
                self.gw(s, t, t + 0.0002, "GET", "/health", 200, 15)
                t += 10.0 + r.uniform(-0.05, 0.05)
        # vulnerability scanners
        t = WINDOW_START + r.expovariate(1 / 900)
        while t < WINDOW_END:
            s = {"ip": f"192.0.2.{r.randrange(150, 250)}", "agent": r.choice(SCANNER_AGENTS), "proto": "HTTP/1.1"}
            for path in r.sample(SCANNER_PATHS, r.randrange(2, 6)):
                rec = self.gw(s, t, t + 0.0004, "GET", path, 404, 153)
                self.gw_error(
                    t + 0.0003,
                    "error",
                    f'open() "/usr/share/nginx/html{path}" failed (2: No such file or directory)',
                    rec,
                )
                t += r.uniform(0.05, 0.6)
            t += r.expovariate(1 / 900)
        # two short cart-service blips, one oversized upload
        for when in (hms(13, 27, 41.2), hms(14, 51, 8.7)):
            s = self.new_session(self.pick_user())
            rec = self.gw(s, when, when + 0.412, "GET", "/api/v1/cart", 502, 157, s["ref"]("/cart"))
            self.gw_error(
                when + 0.412,
                "error",
                "upstream prematurely closed connection while reading response header from upstream",
                rec,
                f"http://{UPSTREAM['cart']}/api/v1/cart",
            )
        for when in (hms(13, 41, 19.9), hms(14, 17, 2.3)):
            s = self.new_session(self.pick_user())
            rec = self.gw(s, when, when + 0.003, "POST", "/api/v1/users/me/avatar", 413, 183, s["ref"]("/account"))
            self.gw_error(
                when + 0.002,
                "error",
                f"client intended to send too large body: {r.randrange(5_000_000, 14_000_000)} bytes",
                rec,
            )
        # a few ordinary errors at fixed moments, so that every phase has some background
        for when in (hms(13, 14, 9.3), hms(13, 47, 51.6), hms(14, 23, 30.2), hms(14, 52, 44.8)):
            s = self.new_session(self.pick_user())
            self.place_order(s, when, coupon_bug=True)
        for when in (hms(13, 33, 12.5), hms(14, 49, 3.1)):
            s = self.new_session(self.pick_user())
            self.direct_charge(
                s, when, f"ord-{r.randrange(80000, 88000)}", r.choice(self.catalog)[1], r.choice(MERCHANTS), True
            )
        # payment-service: settlement sync on each pod, pool monitor
        for host, offset in ((H1, 15.3), (H2, 45.7)):
            t = WINDOW_START - 60 + offset
            while t < WINDOW_END:
                t += 60.0 + r.uniform(0, 0.2)
                if self.routable(host, t):
                    self.settlement(host, t)
            t = WINDOW_START + (0.0 if host == H1 else 10.0)
            while t < WINDOW_END:
                t += 30.0
                co, waiting = self.pool_usage(t, host)
                if co >= 12 and self.routable(host, t):
                    ctx = {"pool_size": 5, "max_overflow": 10, "checked_out": co, "waiting": waiting}
                    if co == 15 and waiting:
                        msg = f"Connection pool exhausted: 15/15 connections checked out, {waiting} requests waiting"
                    else:
                        msg = f"Connection pool near capacity: {co}/15 connections checked out"
                    self.pay_line(
                        t + r.uniform(0, 0.05), "WARN", "payment.db.pool", msg, host, trace_id=None, context=ctx
                    )
        # worker: reconciliation every minute, heartbeat, a few malformed jobs
        t, busy_until = WINDOW_START + 7.0, 0.0
        while t < WINDOW_END:
            start = t + r.uniform(0.0, 0.3)
            if start < busy_until:
                self.worker_line(
                    start, "INFO", "app.runner", "Skipping scheduled reconcile_payments: previous run still in progress"
                )
            else:
                busy_until = self.reconcile_job(start)
            t += 60.0
        for t in range(int(WINDOW_START), int(WINDOW_END), 60):
            depth = r.randrange(0, 4)
            self.worker_line(
                t + 0.5 + r.uniform(0, 0.1),
                "INFO",
                "app.runner",
                f"Heartbeat: 4 worker threads alive, queue depth emails={depth} payments=0",
            )
        for lo, hi in (
            (hms(13, 8), hms(13, 30)),
            (hms(13, 35), hms(13, 58)),
            (hms(14, 12), hms(14, 30)),
            (hms(14, 44), hms(14, 58)),
        ):
            self.malformed_receipt_job(r.uniform(lo, hi))
        # order-service scheduled jobs (no request context)
        t = WINDOW_START + 30.0
        while t < WINDOW_END:
            n = r.choice([0, 0, 1, 2, 3, 4, 7])
            if n:
                self.order_line(
                    t + r.uniform(0, 0.05),
                    "INFO",
                    "scheduling-1",
                    "",
                    "com.acme.order.scheduling.ReservationCleanupJob",
                    f"Released {n} expired stock reservations",
                )
            t += 60.0

    def settlement(self, host: str, t: float) -> None:
        r = self.rng
        trace_id, span = self.hex(128), self.hex(64)
        if r.random() < self.fail_prob(t, "settlement", host):
            end = t + 30.0 + r.uniform(0.002, 0.02)
            if any(t < rs["exit"] < end for rs in RESTARTS[host]):
                return
            self.pay_line(
                end,
                "ERROR",
                "payment.jobs.settlement",
                "Scheduled job 'settlement' failed",
                host,
                trace_id=trace_id,
                span_id=span,
                error=self.pay_error("settlement"),
                context={"batch_limit": 200},
            )
            return
        d, _ = self.success_latency(t, "settlement", host)
        n = r.choice([0, 0, 1, 2, 3, 4, 6])
        if n:
            self.pay_line(
                t + d,
                "INFO",
                "payment.jobs.settlement",
                f"Settlement sync completed: {n} payments settled",
                host,
                trace_id=trace_id,
                span_id=span,
                context={"batch_limit": 200, "settled": n},
            )
        else:
            self.pay_line(
                t + d,
                "DEBUG",
                "payment.jobs.settlement",
                "Settlement sync: nothing to settle",
                host,
                trace_id=trace_id,
                span_id=span,
                context={"batch_limit": 200, "settled": 0},
            )

    def restarts(self) -> None:
        r = self.rng
        for host, plans in RESTARTS.items():
            for p in plans:
                old = self.version_at(host, p["sigterm"])
                self.pay_line(
                    p["sigterm"],
                    "INFO",
                    "payment.server",
                    "Received SIGTERM, draining in-flight requests",
                    host,
                    version=old,
                    context={"signal": "SIGTERM", "graceful_timeout_s": 30},
                )
                aborted = sum(n for (h, ex), n in self.aborted.items() if h == host and ex == p["exit"])
                if p["kind"] == "rollback":
                    aborted += r.randrange(3, 8)  # requests still queued in the listen backlog
                    self.pay_line(
                        p["exit"],
                        "WARN",
                        "payment.server",
                        f"Graceful shutdown timed out after 30s; aborting {aborted} in-flight requests",
                        host,
                        version=old,
                        context={"aborted_requests": aborted},
                    )
                else:
                    self.pay_line(p["exit"], "INFO", "payment.server", "Shutdown complete", host, version=old)
                new = p["version"]
                self.pay_line(
                    p["start"],
                    "INFO",
                    "payment.server",
                    f"Starting payment-service {new}",
                    host,
                    version=new,
                    context={"pid": 1, "python": "3.11", "workers": 4},
                )
                self.pay_line(
                    p["start"] + r.uniform(0.4, 0.9),
                    "INFO",
                    "payment.db",
                    "Connection pool configured: pool_size=5 max_overflow=10 timeout=30s",
                    host,
                    version=new,
                    context={"pool_size": 5, "max_overflow": 10, "pool_timeout": 30},
                )
                self.pay_line(
                    p["ready"],
                    "INFO",
                    "payment.server",
                    "Listening on 0.0.0.0:8000",
                    host,
                    version=new,
                    context={"workers": 4},
                )

    def order_metrics(self) -> None:
        for start in range(int(WINDOW_START) + 600, int(WINDOW_END) + 1, 600):
            c = Counter(st for t, st in self.order_outcomes if start - 600 <= t < start)
            self.order_line(
                start + 0.012,
                "INFO",
                "scheduling-1",
                "",
                "com.acme.order.scheduling.OrderMetricsReporter",
                f"Orders in the last 10 minutes: {sum(c.values())} received, {c['confirmed']} confirmed, "
                f"{c['awaiting']} awaiting card payment, {c['declined']} declined, "
                f"{c['rejected']} rejected, {c['failed']} failed",
            )

    def hikari_housekeeper(self) -> None:
        """HikariCP's DEBUG pool statistics, every 30 s (placeOrder holds a connection while it waits)."""
        r = self.rng
        t = WINDOW_START + 21.7
        starts = sorted(a for a, _ in self.order_tx)
        while t < WINDOW_END:
            lo = bisect.bisect_left(starts, t - 120)
            hi = bisect.bisect_right(starts, t)
            active = sum(1 for a, b in sorted(self.order_tx)[lo:hi] if a <= t < b) + r.choice([0, 0, 0, 1])
            total = 10
            idle, waiting = max(0, total - active), max(0, active - total)
            active = min(active, total)
            logger = "com.zaxxer.hikari.pool.HikariPool"
            stats = f"(total={total}, active={active}, idle={idle}, waiting={waiting})"
            for i, msg in enumerate(
                (
                    f"HikariPool-1 - Before cleanup stats {stats}",
                    f"HikariPool-1 - After cleanup  stats {stats}",
                    "HikariPool-1 - Fill pool skipped, pool has sufficient level or currently "
                    "being filled (queueing=0).",
                )
            ):
                self.order_line(t + 0.001 * i, "DEBUG", "HikariPool-1 housekeeper", "", logger, msg)
            t += 30.0 + r.uniform(0, 0.004)

    # ----- the whole window ---------------------------------------------------
    def run(self) -> None:
        r = self.rng
        for minute in range(int(WINDOW_START // 60) - 1, int(WINDOW_END // 60)):
            t0 = minute * 60.0
            wave = 1.0 + 0.18 * math.sin((t0 - WINDOW_START) / 1900.0) + 0.1 * math.sin((t0 - WINDOW_START) / 510.0)
            rate = 9.5 * wave * r.lognormvariate(0, 0.22)  # sessions per minute
            n = sum(1 for _ in range(int(rate * 3)) if r.random() < 1 / 3)
            for start in sorted(t0 + r.random() * 60 for _ in range(n)):
                user = self.pick_user() if r.random() < 0.74 else None
                self.session(start, user)
        self.background()
        self.restarts()
        self.order_metrics()
        self.hikari_housekeeper()

    # ----- rendering ----------------------------------------------------------------
    def finalize_order_ids(self, rows: list[tuple[float, str]]) -> list[tuple[float, str]]:
        """Replace provisional order keys with ids from a sequence ordered by creation time."""
        if not hasattr(self, "_order_numbers"):
            ordered = sorted(self.order_created, key=lambda k: (self.order_created[k], k))
            self._order_numbers = {k: f"ord-{88001 + i}" for i, k in enumerate(ordered)}
        pattern = re.compile(r"ord-#(\d+)#")
        return [(t, pattern.sub(lambda m: self._order_numbers[int(m.group(1))], text)) for t, text in rows]

    def render_gateway(self) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
        r = self.rng
        conn = 2_913_447
        for rec in sorted(self.gw_requests, key=lambda x: x["start"]):
            conn += 1 if r.random() < 0.7 else r.randrange(2, 4)
            rec["conn"] = conn
            rec["pid"] = r.choice(NGINX_WORKER_PIDS)
        access = []
        for rec in self.gw_requests:
            rt = max(0.0, rec["end"] - rec["start"])
            access.append(
                (
                    rec["end"],
                    rec["conn"],
                    (
                        f'{rec["ip"]} - - [{nginx_local(rec["end"])}] "{rec["method"]} {rec["uri"]} {rec["proto"]}" '
                        f'{rec["status"]} {rec["bytes"]} "{rec["referer"]}" "{rec["agent"]}" {rt:.3f} {rec["req_id"]}'
                    ),
                )
            )
        errors = []
        for i, e in enumerate(self.gw_errors):
            q = e["req"]
            text = (
                f"{nginx_error_ts(e['t'])} [{e['level']}] {q['pid']}#{q['pid']}: *{q['conn']} {e['message']}, "
                f'client: {q["ip"]}, server: {SERVER_NAME}, request: "{q["method"]} {q["uri"]} {q["proto"]}"'
            )
            if e["upstream"]:
                text += f', upstream: "{e["upstream"]}"'
            text += f', host: "{SERVER_NAME}"'
            if q["referer"] != "-":
                text += f', referrer: "{q["referer"]}"'
            errors.append((e["t"], i, text))

        def keep(rows: list[tuple[float, int, str]]) -> list[tuple[float, str]]:
            return [(t, text) for t, _, text in sorted(rows) if WINDOW_START <= t < WINDOW_END]

        return keep(access), keep(errors)


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

PHASES = [
    ("13:00-14:00 (before the deploy)", WINDOW_START, DEPLOY),
    ("14:00-14:04 (v2.3.1, slowing down)", DEPLOY, hms(14, 4)),
    ("14:04-14:38 (pool exhausted)", hms(14, 4), ROLLBACK),
    ("14:38-14:41 (rollback, draining)", ROLLBACK, hms(14, 41)),
    ("14:41-15:00 (recovered)", hms(14, 41), WINDOW_END),
]


def _write_lines(path: Path, rows: list[tuple[float, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for _, text in rows:
            f.write(text + "\n")


def _write_gzip(path: Path, rows: list[tuple[float, str]], inner_name: str) -> None:
    data = "".join(text + "\n" for _, text in rows).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename=inner_name, mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(data)


def error_counts(rows: dict[str, list[tuple[float, str]]]) -> dict[str, list[int]]:
    """Error records per phase, counted the way a reader of each format would."""
    checks = {
        "payment-service (level ERROR)": ("payment", lambda text: json.loads(text)["level"] == "ERROR"),
        "order-service (ERROR records)": ("order", lambda text: text[24:29] == "ERROR"),
        "worker (ERROR records)": ("worker", lambda text: text.split(" ", 3)[2] == "ERROR"),
        "gateway access.log (status >= 500)": (
            "access",
            lambda text: int(re.search(r'" (\d{3}) ', text).group(1)) >= 500,
        ),
        "gateway error.log ([error] lines)": ("error", lambda text: " [error] " in text),
    }
    out = {}
    for label, (key, is_error) in checks.items():
        counts = []
        for _, lo, hi in PHASES:
            counts.append(sum(1 for t, text in rows[key] if lo <= t < hi and is_error(text)))
        out[label] = counts
    return out


FILE_FORMATS = [
    (
        "gateway/access.log",
        'nginx `log_format main \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
        '"$http_referer" "$http_user_agent" $request_time $request_id\'`',
    ),
    (
        "gateway/error.log",
        "nginx error log (`YYYY/MM/DD HH:MM:SS [level] pid#tid: *conn message, client: ..., server: ..., "
        'request: "...", upstream: "...", host: "..."`)',
    ),
    (
        "order-service/order-service.log",
        "log4j `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] [%X{correlationId}] %c - %m%n`, "
        "Java stack traces on the following lines",
    ),
    (
        "payment-service/payment.jsonl",
        "one JSON object per line (timestamp, level, message, correlation_id, trace_id, span_id, service, "
        "environment, host, version, logger, [error], [user], [request], context)",
    ),
    ("worker/worker.log.1.gz", "gzip of the worker's log for 13:00-14:00 (rotated file)"),
    (
        "worker/worker.log",
        "Python logging `%(asctime)s %(levelname)s [%(name)s] %(message)s` for 14:00-15:00, "
        "tracebacks on the following lines",
    ),
]

README = """\
# checkout-incident: example data set

Two hours (2026-11-28 13:00-15:00 UTC) of logs from a small online shop's checkout,
with one incident in the middle. Regenerate with
`python3 examples/generate_checkout_incident.py` from the repository root; the
output is byte-for-byte the same for the same runtime versions (listed below).

## The story

* `gateway` (nginx) proxies `/api/v1/orders` to order-service, `/api/v1/payments/*`
  to payment-service and `/api/v1/cart`, `/api/v1/products`, `/api/v1/users`, ...
  to other services. Two load balancers call `/health` every 10 s.
* `order-service` (Java) places orders and calls payment-service to authorize them
  (read timeout {order_timeout:.0f} s).
* `payment-service` (Python, two pods `{h1}` and `{h2}`) uses a
  SQLAlchemy QueuePool (pool_size=5, max_overflow=10, timeout 30 s) on PostgreSQL.
* `worker` (Python) sends receipt e-mails and reconciles payments with
  payment-service every minute (timeout {worker_timeout:.0f} s, 5 attempts with
  exponential backoff; a run is skipped while the previous one is still retrying).

Timeline (UTC):

* 13:00-14:00: normal traffic and background noise: 404s from scanners and for
  missing products, 400/401/413s, a rare `KeyError` in the worker for a malformed
  receipt job, a rare `CardValidationError` in payment-service, a rare
  `NullPointerException` in order-service (500), slow-request warnings, two cart-service blips (502).
* 14:00:00: payment-service v2.3.0 -> v2.3.1, one pod after the other
  (`Starting payment-service v2.3.1`). v2.3.1 has a slow query: slow-query and pool
  warnings grow.
* ~14:04: the pool is exhausted. payment-service logs `sqlalchemy.exc.TimeoutError:
  QueuePool limit of size 5 overflow 10 reached ...` and answers 503, first in its own
  settlement job and for the worker's reconcile calls, 30-60 s later for
  order-service's calls, which time out (`PaymentGatewayException` caused by
  `java.net.SocketTimeoutException: Read timed out`); the gateway then returns 502 for
  `POST /api/v1/orders` and 504 (`upstream timed out`) for `POST /api/v1/payments/charge`;
  Android apps give up after 15 s (499). The worker logs `httpx.HTTPStatusError` (503)
  and later `httpx.ReadTimeout` tracebacks and retries.
* 14:37:30-14:38:38: rollback to v2.3.0, one pod after the other
  (`Starting payment-service v2.3.0`); requests stuck on the old pods are aborted.
* by ~14:41: the database has caught up and errors are back to the background.

Error records per phase:

{table}

A request can be followed across services: the gateway's `$request_id`, order-service's
MDC `correlationId` and payment-service's `correlation_id` are the same `req-<uuid4>`.
{n_users} distinct user ids check out (activity follows a power law: the busiest user
sends {top_share} checkout requests, most users one or two); {n_hit} of them got a 5xx or 499
on checkout, nearly all during the incident.

## Files

{files}

Things a parser has to cope with: multi-line records (Java traces with `Caused by:`
and `... N more`, Python tracebacks with `^^^^` marker lines and chained
exceptions, an `httpx.HTTPStatusError` message spanning two lines); `WARN` in
payment-service and order-service but `WARNING` in the worker; `null`
`correlation_id`/`trace_id`/`span_id` in payment-service lines outside a request;
`HTTP/2.0` and `HTTP/1.1` requests and status 499 at the gateway; `[warn]` lines
and upstream errors that the gateway recovered from (connect() failed, then
another upstream answered) in error.log; an empty MDC (`[]`) in order-service
lines of scheduled jobs.

## How the traces were made

No stack trace was typed by hand. The generator writes small Python modules laid out
like the deployed apps (`/srv/payment/app/...`, `/srv/worker/app/...`) and small
Java classes (`com.acme.order...`) into a temporary directory and runs them:

* a real SQLAlchemy engine (SQLite file, QueuePool pool_size=5, max_overflow=10,
  timeout 30) with all 15 connections held, so `engine.connect()` really times out
  after 30 s (request handlers, the reconcile endpoint and the settlement job);
* a real `CardValidationError` raised by the card validator;
* the worker's `KeyError` on a malformed job, a real `httpx.HTTPStatusError` from a
  local HTTP server answering 503 and a real `httpx.ReadTimeout` from a local socket
  that never answers;
* Java: `HttpURLConnection` with a short read timeout against a local `ServerSocket`
  that never answers, wrapped in `PaymentGatewayException`, on a thread-pool thread,
  and a helpful `NullPointerException`, both printed with `printStackTrace()`.

Temporary paths are rewritten to `/srv/...` and the interpreter's library paths to
`/usr/local/lib/python3.11/...`; order ids and the 503 server's URL are substituted.
Frames, file names and line numbers are otherwise exactly as the runtimes printed them.

Runtimes used for this copy: Python {python}, SQLAlchemy {sqlalchemy}, httpx {httpx},
{java} ({java_runtime}), {javac}.
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="faultlens-example-") as tmp:
        traces = capture_traces(Path(tmp))
    shop = Shop(traces)
    shop.run()
    access, errors = shop.render_gateway()
    rows = {
        "payment": shop.pay.sorted_texts(),
        "order": shop.order.sorted_texts(),
        "worker": shop.worker.sorted_texts(),
        "access": access,
        "error": errors,
    }
    rows = {key: shop.finalize_order_ids(value) for key, value in rows.items()}
    access, errors = rows["access"], rows["error"]
    if OUT_DIR.exists():
        shutil.rmtree(OUT_DIR)
    _write_lines(OUT_DIR / "gateway" / "access.log", access)
    _write_lines(OUT_DIR / "gateway" / "error.log", errors)
    _write_lines(OUT_DIR / "order-service" / "order-service.log", rows["order"])
    _write_lines(OUT_DIR / "payment-service" / "payment.jsonl", rows["payment"])
    _write_gzip(OUT_DIR / "worker" / "worker.log.1.gz", [x for x in rows["worker"] if x[0] < DEPLOY], "worker.log.1")
    _write_lines(OUT_DIR / "worker" / "worker.log", [x for x in rows["worker"] if x[0] >= DEPLOY])

    counts = error_counts(rows)
    header = "| records | " + " | ".join(label for label, _, _ in PHASES) + " |"
    table = [header, "| --- " * (len(PHASES) + 1) + "|"]
    for label, values in counts.items():
        table.append(f"| {label} | " + " | ".join(str(v) for v in values) + " |")
    (OUT_DIR / "README.md").write_text(
        README.format(
            order_timeout=ORDER_READ_TIMEOUT,
            worker_timeout=WORKER_TIMEOUT,
            h1=H1,
            h2=H2,
            table="\n".join(table),
            files="\n".join(["| file | format |", "| --- | --- |"] + [f"| `{f}` | {d} |" for f, d in FILE_FORMATS]),
            n_users=len(shop.checkout_users),
            n_hit=len(shop.incident_users),
            top_share=max(shop.checkout_users.values()),
            **traces["versions"],
        )
    )

    total_bytes = total_lines = 0
    for path in sorted(OUT_DIR.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            lines = (gzip.decompress(data) if path.suffix == ".gz" else data).count(b"\n")
            total_bytes += len(data)
            total_lines += lines
            print(f"{path.relative_to(REPO_ROOT)}: {len(data):,} bytes, {lines:,} lines")
    print(f"total: {total_bytes:,} bytes, {total_lines:,} lines")
    print("\n".join(table))


if __name__ == "__main__":
    main()
