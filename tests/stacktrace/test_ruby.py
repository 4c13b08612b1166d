"""Ruby: Rails request logs and Ruby 3.4's quoting."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace


def test_rails_log() -> None:
    """Rails prints `Type (message):` then app and gem frames indented under a request id."""
    text = (
        "[a1b2] Completed 500 Internal Server Error in 12ms\n"
        "[a1b2]\n"
        "[a1b2] NoMethodError (undefined method `total' for nil):\n"
        "[a1b2]\n"
        "[a1b2] app/models/order.rb:12:in `charge'\n"
        "[a1b2] app/controllers/orders_controller.rb:8:in `create'\n"
        "[a1b2] actionpack (7.0.4) lib/action_controller/metal/basic_implicit_render.rb:6:in `send_action'\n"
    )
    trace = parse_trace(text)
    assert trace is not None and trace.language == "ruby"
    exc = trace.exceptions[0]
    assert (exc.type, exc.value) == ("NoMethodError", "undefined method `total' for nil")
    assert [f.filename for f in exc.frames] == [
        "lib/action_controller/metal/basic_implicit_render.rb", "app/controllers/orders_controller.rb",
        "app/models/order.rb",
    ]


def test_ruby_34_quotes_and_class_names() -> None:
    """Ruby 3.4 quotes with `'` and names `Class#method`, which splits into module and function."""
    text = "app.rb:3:in 'Integer#/': divided by 0 (ZeroDivisionError)\n\tfrom app.rb:3:in 'Shop::Cart#split'\n"
    trace = parse_trace(text)
    assert trace is not None
    frames = trace.exceptions[0].frames
    assert [(f.module, f.function) for f in frames] == [("Shop::Cart", "split"), ("Integer", "/")]
