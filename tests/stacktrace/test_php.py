"""PHP: uncaught exceptions, chains, plain fatal errors and Laravel's log format."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace

LARAVEL = """\
[2024-05-01 10:00:00] production.ERROR: SQLSTATE[HY000] [2002] Connection refused {"exception":"[object] \
(Illuminate\\\\Database\\\\QueryException(code: 2002): SQLSTATE[HY000] [2002] Connection refused at \
/var/www/vendor/laravel/framework/src/Illuminate/Database/Connection.php:760)
[stacktrace]
#0 /var/www/vendor/laravel/framework/src/Illuminate/Database/Connection.php(720): Illuminate\\\\Database\\\\Connection->runQueryCallback()
#1 /var/www/app/Http/Controllers/OrderController.php(31): Illuminate\\\\Database\\\\Connection->select()
#2 {main}
"}
"""


def test_uncaught_shifts_functions_onto_locations() -> None:
    """Each frame names the function running at its file and line; the throw site comes from the header."""
    text = (
        "PHP Fatal error:  Uncaught App\\Billing\\DeclinedException: card declined in /app/src/Gateway.php:12\n"
        "Stack trace:\n"
        "#0 /app/src/Checkout.php(40): App\\Billing\\Gateway->charge(1999)\n"
        "#1 /app/public/index.php(8): App\\Billing\\Checkout->pay(Array)\n"
        "#2 {main}\n"
        "  thrown in /app/src/Gateway.php on line 12\n"
    )
    trace = parse_trace(text)
    assert trace is not None and trace.language == "php"
    exc = trace.exceptions[0]
    assert (exc.type, exc.module, exc.value) == ("DeclinedException", "App\\Billing", "card declined")
    assert [(f.module, f.function, f.filename, f.lineno) for f in exc.frames] == [
        (None, "{main}", "/app/public/index.php", 8),
        ("App\\Billing\\Checkout", "pay", "/app/src/Checkout.php", 40),
        ("App\\Billing\\Gateway", "charge", "/app/src/Gateway.php", 12),
    ]
    assert trace.end_line == 6


def test_plain_fatal_error_is_one_line() -> None:
    """A fatal error without a stack keeps its location as the only frame."""
    trace = parse_trace("PHP Parse error:  syntax error, unexpected token \"}\" in /app/x.php on line 7")
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("Parse error", 'syntax error, unexpected token "}"')
    assert (exc.frames[0].filename, exc.frames[0].lineno) == ("/app/x.php", 7)


def test_laravel_log_record() -> None:
    """Laravel's `[object] (Type(code: N): message at file:line)` header and `[stacktrace]` parse."""
    trace = parse_trace(LARAVEL)
    assert trace is not None
    exc = trace.exceptions[0]
    assert (exc.type, exc.module) == ("QueryException", "Illuminate\\Database")
    assert exc.value == "SQLSTATE[HY000] [2002] Connection refused"
    assert len(exc.frames) == 3
    assert (exc.frames[-1].function, exc.frames[-1].lineno) == ("runQueryCallback", 760)
