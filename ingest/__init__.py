"""Reading contract PDFs and text exports into passages, and extracting records from them."""

__version__ = "0.1.0"
