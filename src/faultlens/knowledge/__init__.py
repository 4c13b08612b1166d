"""The knowledge base: known error patterns, kept as TOML data, matched against each issue.

Each entry says how to recognise a known error and what a report should say about it: why it
happens, the fix, how to test it, how to prevent and monitor it, and an on-call runbook.
"""

from faultlens.knowledge.catalogue import Catalogue, Diagnosis, default_catalogue, load_catalogue, match
from faultlens.knowledge.evidence import Evidence, ExceptionEvidence
from faultlens.knowledge.schema import CatalogueError, CodeBlock, Fix, Monitoring, Pattern, Rule, Sample

__all__ = [
    "Catalogue", "CatalogueError", "CodeBlock", "Diagnosis", "Evidence", "ExceptionEvidence", "Fix", "Monitoring",
    "Pattern", "Rule", "Sample", "default_catalogue", "load_catalogue", "match",
]
