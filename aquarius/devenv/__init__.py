"""Local development environment: a throw-away Elasticsearch node and an anvil chain with the Ocean contracts.

Used by the test suite, the benchmarks and `aquarius demo`.
"""
