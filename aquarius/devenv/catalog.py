"""A realistic sample catalog: DDOs (4.5.0) of datasets, a model and its inference algorithm, compute services
with trusted algorithms. Used by `aquarius demo` and the benchmarks' chain generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from aquarius.did import make_did

PROVIDER = "https://provider.example.org"
ENCRYPTED_FILES = "0x04f0dddf93c186c38bfea243e06889b490a491141585669cfbe7521a5c7acb3bfea"


@dataclass(frozen=True)
class AssetSpec:
    """What to publish: the DDO's content and how the asset is set up on chain."""

    name: str
    description: str
    kind: Literal["dataset", "algorithm"] = "dataset"
    tags: tuple[str, ...] = ()
    flags: int = 0
    price: float | None = None  # fixed-rate price in OCEAN; None = no exchange
    free: bool = False  # a dispenser
    orders: int = 0
    state: int = 0
    compute: bool = False
    onchain_data: dict[str, str] = field(default_factory=dict)
    author: str = "Ocean demo publisher"
    publisher: int = 0  # index of the publishing account on the node


def _service(spec: AssetSpec, datatoken: str, trusted_algorithms: list[dict[str, str]]) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": "0",
        "type": "compute" if spec.compute else "access",
        "name": "Compute on the data" if spec.compute else "Download",
        "description": "Run approved algorithms next to the data" if spec.compute else "Download the files",
        "files": ENCRYPTED_FILES,
        "datatokenAddress": datatoken,
        "serviceEndpoint": PROVIDER,
        "timeout": 86400,
    }
    if spec.compute:
        service["compute"] = {
            "allowRawAlgorithm": False,
            "allowNetworkAccess": False,
            "publisherTrustedAlgorithmPublishers": [],
            "publisherTrustedAlgorithms": trusted_algorithms,
        }
    return service


def build_ddo(
    spec: AssetSpec,
    *,
    nft: str,
    datatoken: str,
    chain_id: int,
    created: str = "2026-01-15T09:30:00Z",
    trusted_algorithms: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "created": created,
        "updated": created,
        "type": spec.kind,
        "name": spec.name,
        "description": spec.description,
        "author": spec.author,
        "license": "CC-BY-4.0",
        "tags": list(spec.tags),
    }
    if spec.kind == "algorithm":
        metadata["algorithm"] = {
            "language": "python",
            "version": "1.0.0",
            "container": {
                "entrypoint": "python $ALGO",
                "image": "oceanprotocol/algo_dockers",
                "tag": "python-torch",
                "checksum": "sha256:8221d20c1c16491d7d56b9657ea09082c0ee4a8ab1a6621fa720da58b09580e4",
            },
        }
    return {
        "@context": ["https://w3id.org/did/v1"],
        "id": make_did(nft, chain_id),
        "version": "4.5.0",
        "chainId": chain_id,
        "nftAddress": nft,
        "metadata": metadata,
        "services": [_service(spec, datatoken, trusted_algorithms or [])],
    }


def demo_catalog() -> list[AssetSpec]:
    """About 20 assets per chain: weather series, MNIST, a CNN model and its inference algorithm, priced and free,
    plain, compressed and encrypted, with orders, and one each deprecated, revoked and unlisted."""
    cities = ["Berlin", "Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Toronto", "Cairo", "Perth", "Quito"]
    specs = [
        AssetSpec(
            f"Hourly weather {city} 2025",
            f"Hourly temperature, humidity and wind measurements from the {city} station, 2025, as CSV.",
            tags=("weather", "climate", "timeseries"),
            flags=i % 4,
            price=float(1 + i % 3) if i % 2 == 0 else None,
            free=i % 2 == 1,
            orders=i % 3,
        )
        for i, city in enumerate(cities)
    ]
    specs += [
        AssetSpec(
            "MNIST handwritten digits",
            "70,000 28x28 greyscale images of handwritten digits with labels, for compute-to-data training.",
            tags=("images", "mnist", "machine-learning"),
            flags=3,
            price=5.0,
            orders=4,
            compute=True,
        ),
        AssetSpec(
            "MNIST CNN model",
            "A convolutional neural network trained on MNIST (99.2% test accuracy), PyTorch weights.",
            kind="algorithm",
            tags=("model", "mnist", "pytorch"),
            flags=1,
            price=10.0,
            orders=2,
        ),
        AssetSpec(
            "MNIST digit inference",
            "Inference algorithm: classifies images of digits with the MNIST CNN model; runs in compute-to-data.",
            kind="algorithm",
            tags=("algorithm", "mnist", "inference"),
            free=True,
            orders=1,
        ),
        AssetSpec(
            "Global sea surface temperature",
            "Daily sea surface temperature on a quarter-degree grid, 1990-2025, NetCDF.",
            tags=("climate", "ocean", "satellite"),
            flags=1,
            price=3.0,
            orders=1,
            compute=True,
        ),
        AssetSpec(
            "Road traffic counts Lisbon",
            "Vehicle counts per hour from 120 road sensors in Lisbon, 2024.",
            tags=("mobility", "timeseries"),
            free=True,
        ),
        AssetSpec(
            "Retired air quality feed",
            "PM2.5 and NO2 readings of a sensor network that was retired (deprecated asset).",
            tags=("air-quality",),
            state=2,
        ),
        AssetSpec(
            "Withdrawn survey answers",
            "Survey answers withdrawn by the publisher (revoked asset).",
            tags=("survey",),
            state=3,
        ),
        AssetSpec(
            "Unlisted internal benchmark",
            "A benchmark dataset kept out of listings (unlisted asset).",
            tags=("benchmark",),
            state=5,
        ),
        AssetSpec(
            "Ship positions North Sea",
            "AIS ship positions in the North Sea, one week, with on-chain licence terms.",
            tags=("maritime", "ais"),
            price=2.5,
            onchain_data={"licence": "CC-BY-4.0, attribution: Ocean demo"},
        ),
        AssetSpec(
            "Guaranteed trading signals",
            "Too-good-to-be-true trading signals from an account listed in purgatory.",
            tags=("finance",),
            publisher=1,
            author="Unknown",
        ),
    ]
    return specs
