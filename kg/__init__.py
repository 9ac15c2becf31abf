"""The knowledge graph, the search index and the ways in (CLI, app, SPARQL endpoint)."""

__version__ = "0.1.0"
