"""Schema-versioned HDF5 shards: writing, reading, verifying, torch Dataset, exports and datasheets."""
