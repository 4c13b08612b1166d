"""Time every stack trace parser on 1 MB of input built to make regexes backtrack.

Each runtime gets text made of its own near-miss lines (frame lines that almost match, long
lines, deep nesting, thousands of chained headers) plus one very long line; the script prints
the seconds `parse_trace` and the runtime's own parser take. Run: python benchmarks/stacktrace_adversarial.py
"""

from __future__ import annotations

import time

from faultlens.stacktrace import parse_trace
from faultlens.stacktrace.dispatch import RUNTIMES
from faultlens.stacktrace.normalize import split_lines

SIZE = 1 << 20

NEAR_MISSES: dict[str, list[str]] = {
    "python": [
        'File "' + "a" * 2000,
        '  File "/x.py", line 1, in ' + "f(" * 1000,
        "Traceback (most recent call last):",
        "  + Exception Group Traceback (most recent call last):",
        "  " + "| " * 500 + "+-+---- 1 ----",
        '"""',
        "ValueError" + ".a" * 1000 + ":",
        "The above exception was the direct cause of the following exception:",
        "  [Previous line repeated " + "9" * 3000,
    ],
    "java": [
        "\tat " + "a." * 2000 + "(",
        "\tat a.B(" + "B.java:" * 500,
        "\tat a.b" + "(" * 1000 + ")" * 1000,
        "Caused by: " + "a.b" * 1000 + ": " * 500,
        "\tSuppressed: " + "\t" * 1000 + "x",
        "java.lang." + "a.a" * 1000,
        "\t... " + "9" * 3000 + " more!",
        "\tat a.B.c(B.java:1)",
    ],
    "javascript": [
        "    at " + "f (" * 1000 + "x:1:",
        "    at " + "a:1:" * 1000 + "x",
        "    at eval (eval at " * 200,
        "    at f (/x.js:1:2) {",
        "  [cause]: Error: " + "[cause]: " * 400,
        "  [errors]: [",
        "a@" * 2000 + ":1",
        "Error" + "Error: " * 500,
        "f@http://x/a.js:1:2",
    ],
    "go": [
        "panic: " + "panic: " * 500,
        "goroutine 1 [" + "[" * 2000,
        "main." + "(" * 1000 + ")" * 999,
        "\t/x.go:" + "1:" * 1000 + " +0x",
        "main.f(" + "{0x1, " * 500 + ")",
        "created by " + "a" * 3000 + " in goroutine",
        "goroutine 1 [running]:",
        "main.main()",
    ],
    "dotnet": [
        "   at " + "A.B(" * 1000 + ") in x:line ",
        "   at A.B() in " + ":line 1" * 500 + "x",
        "System.Exception: a" + " ---> System.Exception: b" * 200,
        "---> (Inner Exception #0) System.Exception: x",
        "   --- End of inner exception stack trace ---",
        "   at A.B(String s) [0x00000] in <" + "a" * 3000,
    ],
    "ruby": [
        "a.rb:1:in `" + "x" * 3000,
        "from " + "a:1:" * 1000 + "in",
        "a.rb:1:in `m': " + "(Error) " * 400 + "(",
        "\tfrom a.rb:2:in `<main>'",
        "Foo::Bar" + "::Baz" * 500 + " (",
        " ... " + "9" * 2000 + " levels",
    ],
    "php": [
        "PHP Fatal error:  Uncaught " + "Exception: " * 300 + " in x:",
        "#0 " + "a(" * 1000 + "1): f()",
        "#1 /x.php(3): " + "A->" * 1000,
        "Next Exception: x in " + "a:" * 1000,
        "Stack trace:",
        "[object] (" + "E(code: 0): " * 200 + " at x:",
    ],
    "rust": [
        "thread 'main' panicked at " + "a:1:" * 1000,
        "thread 'main' panicked at '" + "x', " * 800,
        "   0: " + "std::" * 800,
        "             at " + "a:1" * 1000 + ":x",
        "note: run with `RUST_BACKTRACE=1`",
    ],
    "native": [
        "==1==ERROR: AddressSanitizer: " + "x-" * 1500,
        "    #0 0x1 in " + "f " * 1500 + "a.c:",
        "#0  0x1 in " + "f (" * 1000 + ") at",
        "./a(" + "f+0x1" * 600 + ")[0x",
        "a.c:1:1: runtime error: " + "x" * 3000,
        "SUMMARY: AddressSanitizer",
    ],
    "elixir": [
        "** (" + "A." * 1500 + ")",
        "    (app 1.0) lib/a.ex:1: " + "A." * 1500,
        '{"init terminating in do_boot",{badarith,[' + "{erlang,'+',[1,a],[" * 200,
        "** exception error: " + "x" * 3000,
        "    :erlang." + "a(" * 1000,
    ],
    "swift": [
        "Fatal error: " + "x: file " * 400 + ", line",
        "0    libswiftCore.so    0x1 " + "f + 1 " * 600 + " at a:",
        "1 [ra] 0x1 " + "f in " * 600,
        "💣 Program crashed: " + "x" * 3000,
        "Current stack trace:",
    ],
}


def adversarial_text(runtime: str) -> str:
    """1 MB of one runtime's near misses: a quarter on one line, the rest line by line."""
    patterns = NEAR_MISSES.get(runtime, [line for lines in NEAR_MISSES.values() for line in lines])
    one_line = (" ".join(patterns) * (SIZE // 4 // len(" ".join(patterns)) + 1))[: SIZE // 4]
    body: list[str] = []
    size = len(one_line)
    index = 0
    while size < SIZE:
        line = patterns[index % len(patterns)]
        body.append(line)
        size += len(line) + 1
        index += 1
    return one_line + "\n" + "\n".join(body)


def main() -> None:
    print(f"{'runtime':<12} {'parse_trace s':>14} {'own parser s':>13}")
    for runtime in RUNTIMES:
        text = adversarial_text(runtime.language)
        started = time.perf_counter()
        parse_trace(text)
        whole = time.perf_counter() - started
        lines = split_lines(text).lines
        started = time.perf_counter()
        runtime.find(lines)
        own = time.perf_counter() - started
        print(f"{runtime.language:<12} {whole:>14.3f} {own:>13.3f}")


if __name__ == "__main__":
    main()
