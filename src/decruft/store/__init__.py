"""Storing rows: the Parquet schemas, the dataset (parts, manifest, state, compaction, lock)."""
