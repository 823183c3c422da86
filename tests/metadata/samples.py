"""Valid sample DDOs of every supported version, derived from an NFT address and chain id."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from aquarius.did import make_did

NFT = to_checksum_address("0x" + "5a" * 20)
DATATOKEN = to_checksum_address("0x" + "d7" * 20)
CHAIN_ID = 8996
V4_VERSIONS = ("4.1.0", "4.3.0", "4.5.0", "4.7.0")


def _algorithm() -> dict[str, Any]:
    return {
        "language": "python",
        "version": "0.1",
        "container": {
            "entrypoint": "python $ALGO",
            "image": "oceanprotocol/algo_dockers",
            "tag": "python-branin",
            "checksum": "sha256:8221d20c1c16491d7d56b9657ea09082c0ee4a8ab1a6621fa720da58b09580e4",
        },
        "consumerParameters": [
            {
                "name": "iterations",
                "type": "number",
                "label": "Iterations",
                "required": True,
                "description": "How many times\nto iterate",
                "default": "10",
                "options": ["10", "20"],
            }
        ],
    }


def v4_ddo(version: str = "4.5.0", nft: str = NFT, chain_id: int = CHAIN_ID) -> dict[str, Any]:
    """A DDO using most optional parts of the v4 shapes: algorithm, compute service, credentials."""
    return {
        "@context": ["https://w3id.org/did/v1"],
        "id": make_did(nft, chain_id),
        "version": version,
        "chainId": chain_id,
        "nftAddress": nft,
        "metadata": {
            "created": "2021-11-15T12:27:48Z",
            "updated": "2022-05-17T21:58:02.123Z",
            "description": "A sample asset\nwith a two-line description",
            "name": "Sample asset",
            "type": "algorithm",
            "author": "Ocean Protocol Foundation",
            "license": "CC-BY",
            "copyrightHolder": "OPF",
            "links": ["https://example.com/sample"],
            "tags": ["sample", "test"],
            "categories": ["science"],
            "contentLanguage": "en-US",
            "additionalInformation": {"anything": [1, {"goes": None}]},
            "algorithm": _algorithm(),
        },
        "services": [
            {
                "id": "0",
                "type": "compute",
                "name": "Compute service",
                "description": "Runs algorithms on the data",
                "files": "0x04f0dddf93c186c38bfea243e06889b490a491141585669cfbe7521a5c7acb3bfea",
                "datatokenAddress": DATATOKEN,
                "serviceEndpoint": "https://provider.example.com",
                "timeout": 3600,
                "compute": {
                    "allowRawAlgorithm": False,
                    "allowNetworkAccess": True,
                    "publisherTrustedAlgorithmPublishers": ["0x" + "11" * 20],
                    "publisherTrustedAlgorithms": [
                        {"did": "did:op:" + "0" * 64, "filesChecksum": "ab" * 32, "containerSectionChecksum": "cd" * 32}
                    ],
                },
                "consumerParameters": _algorithm()["consumerParameters"],
                "additionalInformation": {"note": "free"},
            }
        ],
        "credentials": {
            "allow": [{"type": "address", "values": ["0x" + "22" * 20]}],
            "deny": [{"type": "address", "values": ["0x" + "33" * 20, "0x" + "44" * 20]}],
        },
    }


def v5_ddo(nft: str = NFT, chain_id: int = CHAIN_ID) -> dict[str, Any]:
    """A DDO 5.0.0 (a verifiable credential), as Ocean Node publishers write it."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": make_did(nft, chain_id, prefix="did:ope:"),
        "version": "5.0.0",
        "type": ["VerifiableCredential"],
        "issuer": "did:jwk:eyJrdHkiOiJPS1AifQ",
        "credentialSubject": {
            "chainId": chain_id,
            "nftAddress": nft,
            "metadata": {
                "created": "2025-04-15T19:48:54Z",
                "updated": "2025-04-15T19:48:54Z",
                "type": "dataset",
                "name": "Sample v5 asset",
                "description": {"@value": "Two lines\nof description", "@direction": "", "@language": ""},
                "tags": ["test"],
                "author": "",
                "license": {"name": "CC-BY", "licenseDocuments": []},
                "providedBy": "Ocean",
                "additionalInformation": {"termsAndConditions": True},
            },
            "services": [
                {
                    "id": "7b2ca00f457ecc21eff766d39f2f35e1ee5e5d427eb3f62aa7297080388eeff6",
                    "type": "access",
                    "name": "Service 1",
                    "files": "0x048d5a53cfc8",
                    "datatokenAddress": DATATOKEN,
                    "serviceEndpoint": "https://node.example.com",
                    "timeout": 86400,
                    "credentials": {"allow": [{"type": "address", "values": ["*"]}], "deny": []},
                }
            ],
            "credentials": {"allow": [], "deny": [], "match_deny": "any"},
            "event": {"txid": "0x" + "ab" * 32, "block": 8125544, "from": nft, "contract": nft},
        },
        "additionalDdos": [],
    }


def sample_ddo(version: str) -> dict[str, Any]:
    return v5_ddo() if version == "5.0.0" else v4_ddo(version)
