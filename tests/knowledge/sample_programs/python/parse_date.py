from datetime import datetime

def parse_shipped_at(value):
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")

parse_shipped_at("2026-12-01T23:15:34Z")
