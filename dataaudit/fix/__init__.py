"""Commands that write a fixed copy of a dataset (dedup, redact), always to another file, in the input's format."""
