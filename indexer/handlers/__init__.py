"""Event handlers, one module per contract family. Importing this package registers them all."""

from indexer.handler import HandlerRegistry

default_registry = HandlerRegistry()

from indexer.handlers import factory, metadata, nft, orders, prices  # noqa: E402, F401  (registration side effect)
