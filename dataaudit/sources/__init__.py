"""Clients that fetch a dataset from a running server (an annotation tool) instead of a file."""
