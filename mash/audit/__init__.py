"""The decision log: tables, hash chain, Merkle tree, sink and queries."""
