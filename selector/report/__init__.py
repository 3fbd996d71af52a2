"""recommendation -> text, one module per output format (see ``interface``)."""
