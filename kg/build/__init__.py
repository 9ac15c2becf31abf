"""Building: the stages run in order, each document in a worker (or on a Dask cluster), cached
by what made it, validated and published atomically as `current`. May import kg.graph.writer,
kg.search.searcher, kg.sparql, kg.review.apply and ingest; nothing above it (the facade, the views, the
front ends) is imported here."""
