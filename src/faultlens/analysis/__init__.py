"""Analyses: questions asked of the store. They never parse text."""
