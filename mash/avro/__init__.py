"""Avro schemas of schemas/, wire framings, encode/decode and compatibility."""
