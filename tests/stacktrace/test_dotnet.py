""".NET traces: CoreCLR with file lines and async separators, .NET Framework one-line inner chains."""

from __future__ import annotations

from faultlens.stacktrace import parse_trace

CORECLR = """\
fail: Microsoft.AspNetCore.Server.Kestrel[13]
      Connection id "0HMPN", Request id "0HMPN:00000001": An unhandled exception was thrown by the application.
      System.InvalidOperationException: Order 42 has no lines
         at Shop.Api.Orders.OrderService.ValidateAsync(Order order) in /src/Shop.Api/Orders/OrderService.cs:line 88
         at Shop.Api.Orders.OrderService.PlaceAsync(Order order) in /src/Shop.Api/Orders/OrderService.cs:line 41
      --- End of stack trace from previous location ---
         at Shop.Api.Controllers.OrdersController.Post(OrderDto dto) in /src/Shop.Api/Controllers/OrdersController.cs:line 23
         at lambda_method5(Closure , Object )
         at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.AwaitableObjectResultExecutor.Execute(ActionContext c)
"""

FRAMEWORK = """\
System.Web.HttpUnhandledException (0x80004005): boom ---> System.Data.SqlClient.SqlException (0x80131904): Timeout expired.
   at System.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean breakConnection)
   at Shop.Data.Repo.Load(Int32 id) in C:\\src\\Shop\\Data\\Repo.cs:line 17
   --- End of inner exception stack trace ---
   at System.Web.UI.Page.HandleError(Exception e)
   at ASP.default_aspx.ProcessRequest(HttpContext context) in c:\\Windows\\Temp\\App_Web_x.0.cs:line 0
"""


def test_coreclr_in_a_log_record() -> None:
    """Frames with `in file:line N`, async separators and lambda frames parse under a log header."""
    trace = parse_trace(CORECLR)
    assert trace is not None and trace.language == "dotnet"
    exc = trace.exceptions[0]
    assert (exc.type, exc.module, exc.value) == ("InvalidOperationException", "System", "Order 42 has no lines")
    assert len(exc.frames) == 5
    raising = exc.frames[-1]
    assert (raising.module, raising.function) == ("Shop.Api.Orders.OrderService", "ValidateAsync")
    assert raising.filename == "/src/Shop.Api/Orders/OrderService.cs" and raising.lineno == 88
    assert exc.frames[1].function == "lambda_method5" and exc.frames[1].module is None
    assert trace.start_line == 2


def test_framework_inner_exception_on_the_header_line() -> None:
    """`--->` on the first line starts the inner exception; its frames come first."""
    trace = parse_trace(FRAMEWORK)
    assert trace is not None
    inner, outer = trace.exceptions
    assert (inner.type, inner.relation, len(inner.frames)) == ("SqlException", "inner", 2)
    assert inner.value == "Timeout expired."
    assert inner.frames[-1].function == "OnError"
    assert inner.frames[0].filename == "C:\\src\\Shop\\Data\\Repo.cs" and inner.frames[0].lineno == 17
    assert (outer.type, outer.module, outer.value, len(outer.frames)) == ("HttpUnhandledException", "System.Web", "boom", 2)
    assert outer.frames[0].lineno is None
