"""Researchers' corrections: the append-only log, applying it to an extraction, the
reviewed graphs, recording a review, and corrections as training data. May import kg.graph.writer;
the build imports it, never the other way round."""
