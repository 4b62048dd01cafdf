"""The sourced knowledge base: data files, builder and read-only query layer."""
