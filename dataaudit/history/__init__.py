"""Scheduled checks: the run history, regressions between runs, and comparing two reports."""
