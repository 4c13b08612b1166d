"""Short, general advice keyed by what an exception says, for `explain`'s next steps.

Each entry is (substrings of the type or message, advice); the first entries that match are
used. They are deliberately generic: the knowledge base holds product-specific patterns.
"""

from __future__ import annotations

HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("NullPointer", "NullReference", "nil pointer", "NoneType", "nil:NilClass", "of undefined", "of null",
      "is undefined", "is null", "on null"),
     "A value was null/None/undefined where an object was expected: find where it should have been set, "
     "and guard the caller."),
    (("KeyError", "KeyNotFound", "key not found", "not present in the dictionary"),
     "A lookup used a key that is not there: check where the key comes from, or read it with a default."),
    (("index out of", "IndexError", "IndexOutOfBounds", "out of bounds", "out of range", "slice bounds"),
     "An index went past the end of a collection: check the length before indexing, and the empty case."),
    (("Timeout", "timed out", "deadline exceeded"),
     "A call timed out: check the dependency's health and latency, and the timeout and retry settings."),
    (("ECONNREFUSED", "Connection refused", "ConnectException", "ConnectionRefused", "refused"),
     "Nothing accepted the connection: check that the service is up and the host and port it is configured with."),
    (("ENOENT", "No such file", "FileNotFound", "DirectoryNotFound", "Could not find a part of the path"),
     "A file or directory did not exist: check the configured path and the working directory in that environment."),
    (("EACCES", "Permission denied", "PermissionError", "AccessDenied", "UnauthorizedAccess"),
     "The process lacked permission: check the file or resource owner and the user the service runs as."),
    (("concurrent map", "ConcurrentModification", "data race", "race"),
     "Shared state was changed from two places at once: add locking, or copy the collection before iterating."),
    (("deadlock",),
     "Every goroutine or thread was waiting on another: look for a channel or lock nobody releases."),
    (("RecursionError", "StackOverflow", "stack level too deep", "Maximum call stack", "SystemStackError"),
     "The recursion never stopped: check the termination condition and cyclic data."),
    (("MemoryError", "OutOfMemory", "memory exhausted", "Allowed memory size", "memory leaks"),
     "Memory ran out or leaked: look for unbounded collections or reads of whole inputs into memory."),
    (("use-after-free", "double-free", "buffer-overflow", "SIGSEGV", "Segmentation fault"),
     "Memory was misused: rebuild with AddressSanitizer to see where it was allocated and freed."),
    (("SyntaxError", "JSONDecodeError", "ParserError", "JsonException", "JSON", "FormatException",
      "NumberFormat", "invalid literal", "ParseIntError"),
     "Input could not be parsed: log the raw input, and validate it where it enters the system."),
    (("divide by zero", "ZeroDivision", "DivideByZero", "division by zero", "divided by 0"),
     "A division by zero: check for empty totals or counts before dividing."),
)


def hints_for(text: str, limit: int = 2) -> list[str]:
    """Advice whose substrings appear in text (an exception's type and message), at most `limit`."""
    found: list[str] = []
    for needles, advice in HINTS:
        if any(needle in text for needle in needles):
            found.append(advice)
            if len(found) >= limit:
                break
    return found
