"""ingest: turn a report into cleaned text, a section tree, typed chunks and a FAISS index."""
