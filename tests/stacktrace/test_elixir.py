"""Elixir and Erlang reports."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace


def test_elixir_frames_split_module_and_function() -> None:
    """`(app vsn) path:line: Mod.fun/arity` frames give module, function, file and line."""
    text = (
        "** (Ecto.NoResultsError) expected at least one result but got none in query\n"
        "    (ecto 3.10.1) lib/ecto/repo/queryable.ex:164: Ecto.Repo.Queryable.one!/3\n"
        "    (shop 0.1.0) lib/shop/orders.ex:12: Shop.Orders.get!/1\n"
    )
    trace = parse_trace(text)
    assert trace is not None and trace.language == "elixir"
    exc = trace.exceptions[0]
    assert (exc.type, exc.module) == ("NoResultsError", "Ecto")
    assert [(f.module, f.function, f.lineno) for f in exc.frames] == [
        ("Shop.Orders", "get!/1", 12), ("Ecto.Repo.Queryable", "one!/3", 164),
    ]


def test_exit_from_process() -> None:
    """`** (EXIT from #PID<...>)` reports an exit with its reason."""
    trace = parse_trace("** (EXIT from #PID<0.94.0>) shell process exited with reason: :killed\n\n")
    assert trace is not None
    assert (trace.exceptions[0].type, trace.exceptions[0].value) == ("EXIT", "shell process exited with reason: :killed")
