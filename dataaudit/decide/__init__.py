"""Deciding: conditions from check results, and the verdict."""
