"""Scanners: pure functions from text to findings, shared by the checks, the masking of excerpts and the fixers."""
