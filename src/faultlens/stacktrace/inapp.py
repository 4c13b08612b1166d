"""Which frames are the application's own code and which belong to runtimes and libraries.

Each runtime has defaults for where library code lives (paths) and what it is called
(modules); `app_packages` names the application's own modules or path prefixes and wins over
the defaults, so vendored or oddly installed code can still be claimed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from faultlens.model import ExceptionInfo


@dataclass(frozen=True, slots=True)
class LibraryRules:
    """Where one runtime keeps code that is not the application's."""

    path_parts: tuple[str, ...] = ()
    path_prefixes: tuple[str, ...] = ()
    path_pattern: re.Pattern[str] | None = None
    module_prefixes: tuple[str, ...] = ()
    modules: frozenset[str] = frozenset()


_JVM_PACKAGES = (
    "java.", "javax.", "jakarta.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.", "scala.", "akka.",
    "org.springframework.", "org.apache.", "org.hibernate.", "org.junit.", "junit.", "org.testng.",
    "org.mockito.", "io.netty.", "reactor.", "io.reactivex.", "io.micrometer.", "com.fasterxml.",
    "org.eclipse.", "com.google.", "okhttp3.", "okio.", "retrofit2.", "org.slf4j.", "ch.qos.logback.",
    "org.glassfish.", "io.undertow.", "io.grpc.", "io.vertx.", "io.quarkus.", "io.micronaut.",
    "groovy.", "org.codehaus.", "net.bytebuddy.", "com.zaxxer.", "org.postgresql.", "com.mysql.",
    "org.jboss.", "org.aspectj.", "org.gradle.", "worker.org.gradle.", "android.", "androidx.",
    "dalvik.", "com.android.", "_COROUTINE.", "org.jetbrains.", "io.ktor.", "org.jooq.", "com.mongodb.",
    "feign.", "rx.", "play.", "cats.", "zio.", "org.scalatest.",
)

_GO_STANDARD_ROOTS = frozenset({
    "archive", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context", "crypto", "database",
    "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html", "image", "index",
    "internal", "io", "iter", "log", "maps", "math", "mime", "net", "os", "path", "plugin", "reflect", "regexp",
    "runtime", "slices", "sort", "strconv", "strings", "sync", "syscall", "testing", "text", "time", "unicode",
    "unique", "unsafe",
})
"""First elements of the Go standard library's import paths, whatever GOROOT a binary was built in."""

RULES: dict[str, LibraryRules] = {
    "python": LibraryRules(
        path_parts=("site-packages", "dist-packages", "<frozen "),
        path_prefixes=("<frozen",),
        path_pattern=re.compile(r"[/\\]lib[/\\]python\d(?:\.\d+)?[/\\]|[/\\]Python\d+[/\\]Lib[/\\]"),
    ),
    "java": LibraryRules(module_prefixes=_JVM_PACKAGES),
    "javascript": LibraryRules(
        path_parts=("node_modules", "/webpack/bootstrap", "[native code]"),
        path_prefixes=("node:", "internal/", "<anonymous>", "native", "index ", "bootstrap_node.js"),
        path_pattern=re.compile(r"^(?:events|timers|net|fs|module|_stream_\w+|child_process|dns|http|https)\.js$"),
    ),
    "go": LibraryRules(
        path_parts=("/pkg/mod/", "/go/src/", "/vendor/"),
        path_pattern=re.compile(r"/(?:usr/local/go|usr/lib/go[-\d.]*|opt/go|go/root|goroot)/src/|^/?_?goroot/"),
    ),
    "ruby": LibraryRules(
        path_parts=("/gems/", "/vendor/bundle/", "/lib/ruby/", "<internal:", "/rubygems/", "/.rbenv/", "/.rvm/"),
        path_prefixes=("<internal:",),
    ),
    "dotnet": LibraryRules(
        module_prefixes=(
            "System.", "Microsoft.", "Newtonsoft.", "Npgsql.", "Grpc.", "Polly.", "Castle.", "Serilog.",
            "Dapper.", "NHibernate.", "Xunit.", "NUnit.", "MediatR.", "Swashbuckle.", "StackExchange.",
            "AutoMapper.", "FluentValidation.", "Hangfire.", "MassTransit.", "Mono.", "Internal.",
        ),
        modules=frozenset({"System"}),
    ),
    "php": LibraryRules(path_parts=("/vendor/", "\\vendor\\", "[internal function]"), path_prefixes=("[internal",)),
    "rust": LibraryRules(
        path_parts=("/rustc/", "/.cargo/registry/", "/.cargo/git/", "/library/std/", "/library/core/"),
        module_prefixes=(
            "std::", "core::", "alloc::", "tokio::", "futures::", "futures_util::", "hyper::", "tower::",
            "backtrace::", "rust_begin_unwind", "__rust", "<std::", "<core::", "<alloc::", "__libc_start",
            "_start", "<tokio::", "<futures", "axum::", "actix_", "<F as ", "<alloc", "test::", "__rustc::", "<<",
        ),
    ),
    "native": LibraryRules(
        path_parts=("/lib/x86_64-linux-gnu/", "/lib/aarch64-linux-gnu/", "/lib64/", "/usr/lib/", "libc.so",
                    "libasan", "libstdc++", "libpthread", "libgcc", "/usr/include/", "../sysdeps/", "../csu/",
                    "/build/glibc", "compiler-rt/"),
        module_prefixes=("__libc_", "__asan", "__interceptor", "__GI_", "_start", "__sanitizer", "start_thread",
                         "clone", "__pthread", "std::", "__cxa", "raise", "abort", "__assert", "__clone",
                         "__restore_rt", "__sigaction"),
    ),
    "elixir": LibraryRules(
        module_prefixes=(
            "Enum", "Kernel", "Task", "GenServer", "Agent", "Stream", "Map", "List", "String", "Keyword",
            "Phoenix.", "Plug.", "Ecto.", "Ecto", "Jason.", "Mix.", "ExUnit.", "Logger", "Process", "IO", "File",
            "Registry", "Supervisor", "Code", ":", "elixir_", "Oban.", "Absinthe.", "Tesla.", "Finch.",
            "Bandit.", "Cowboy", "DBConnection", "Postgrex", "Integer", "Access",
        ),
    ),
    "swift": LibraryRules(
        path_parts=("/usr/lib/swift", "/swift/", "libswift", "Foundation", "libdispatch", "libc.so",
                    "/usr/lib/system/"),
        path_prefixes=("Swift/",),
        module_prefixes=("libswift", "Foundation", "libdispatch", "libsystem", "libc", "ld-", "CoreFoundation",
                         "UIKitCore", "libobjc", "dyld", "Swift"),
    ),
}


def mark_in_app(exceptions: list[ExceptionInfo], language: str, app_packages: Sequence[str] = ()) -> None:
    """Set `Frame.in_app` on every frame: app_packages first, then the runtime's library rules."""
    rules = RULES.get(language, LibraryRules())
    packages = tuple(package for package in app_packages if package)
    for exception in exceptions:
        for frame in exception.frames:
            frame.in_app = _is_in_app(frame.abs_path, frame.filename, frame.module, frame.function, rules, packages,
                                      language)


_SYMBOL_LANGUAGES = frozenset({"rust", "native", "elixir", "swift"})
"""Runtimes whose function names carry the library's name (`std::`, `__libc_start_main`, `Enum.`)."""


@lru_cache(maxsize=65536)
def _is_in_app(abs_path: str | None, filename: str | None, module: str | None, function: str | None,
               rules: LibraryRules, packages: tuple[str, ...], language: str) -> bool:
    """Cached: the same frames recur in every event of an issue."""
    paths = [path for path in (abs_path, filename) if path]
    if language in ("native", "swift") and module:
        paths.append(module)
    names = [name for name in (module,) if name]
    if language in _SYMBOL_LANGUAGES and function:
        names.append(function)
    if packages and (
        any(_matches_package(name, packages) for name in names) or any(_matches_path(p, packages) for p in paths)
    ):
        return True
    for path in paths:
        if any(part in path for part in rules.path_parts) or path.startswith(rules.path_prefixes):
            return False
        if rules.path_pattern is not None and rules.path_pattern.search(path):
            return False
    for name in names:
        if name in rules.modules or name.startswith(rules.module_prefixes):
            return False
        if language == "go" and name.split("/", 1)[0] in _GO_STANDARD_ROOTS:
            return False
    return True


def _matches_package(module: str, packages: tuple[str, ...]) -> bool:
    if not module:
        return False
    for package in packages:
        if module == package:
            return True
        if module.startswith(package) and (package[-1] in "./:\\" or module[len(package)] in "./:\\$"):
            return True
    return False


def _matches_path(path: str, packages: tuple[str, ...]) -> bool:
    if not path:
        return False
    stripped = path.removeprefix("file://")
    return any(stripped.startswith(package) or path.startswith(package) for package in packages)


