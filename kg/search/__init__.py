"""Search: the index (FAISS + BM25), the encoders, the understanding of a question, hybrid
search with filters, and its evaluation on the gold questions. Imports no other kg
subpackage."""
