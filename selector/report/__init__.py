"""recommendation -> text, one module (or package) per output format (see ``interface``)."""
