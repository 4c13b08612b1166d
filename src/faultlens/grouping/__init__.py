"""Grouping: message templates and fingerprints that decide which events are one issue."""
