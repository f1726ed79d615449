"""Checks: one module per measurement."""
