"""One module per measurement; each is a pure function from loaded data to a typed result."""
