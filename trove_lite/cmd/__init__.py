"""Process entry points; the only code that wires services together."""
