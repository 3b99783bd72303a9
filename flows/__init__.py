"""Prefect flows for decruft: thin wrappers that schedule the library's batch steps."""
