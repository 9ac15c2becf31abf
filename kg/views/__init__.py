"""Read-only views over what a build opened: comparison, partner networks, maps and GIS
files, exports, document text shown safely. May import kg.search.searcher, kg.sparql, kg.graph.writer and
kg.review.apply; never the build, and never ingest's reading or extraction."""
