def load_snapshot(rows):
    return [bytearray(1024 * 1024) for _ in range(rows)]

load_snapshot(100_000)
