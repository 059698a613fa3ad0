"""The knowledge base: files loaded and chunked, embedded, indexed, and retrieved."""
