"""retrieval: turn a question into an answer with checked citations over a built index."""
