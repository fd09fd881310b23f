"""Built-in pipeline backends, one module per family; each registers itself on import."""
