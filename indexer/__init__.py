"""The indexing daemon: per-chain sync (history + live head), log decoding, event handlers, periodic jobs."""
