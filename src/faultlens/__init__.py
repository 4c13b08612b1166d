"""faultlens: error analysis and resolution for the logs, traces and SDK events a team already has."""

__version__ = "0.1.0"
