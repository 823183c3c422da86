"""The metadata pipeline's building blocks: decode an on-chain `setMetaData` payload (flags, decryption,
decompression), check its hash, parse and validate the DDO. Each step raises `MetadataError` with a machine code
so that the indexer can record the outcome per asset."""
