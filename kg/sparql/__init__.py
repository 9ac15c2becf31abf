"""SPARQL: the store seam (Oxigraph, rdflib in memory, a SPARQL server), query text and
guards, killable query workers, result serialisations. May import kg.graph.writer (its URIs)."""
