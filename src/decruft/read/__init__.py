"""Reading raw files: discovery, sidecars, formats (gzip, JSON Lines, WARC) and decoding, into
``RawDocument``s, locally or through a pyarrow filesystem."""
