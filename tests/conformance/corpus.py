"""A generated, reproducible corpus of asset documents shaped like the ones the indexer stores: datasets and
algorithms on several chains, every NFT state, purgatory, prices, orders, tags, non-Latin text, missing fields."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

CHAINS = [1, 137, 56, 32456, 8996]
TAGS = ["climate", "weather", "mobility", "traffic", "health", "finance", "ai", "Energy", "open-data", "gaia-x"]
WORDS = [
    "weather",
    "data",
    "ocean",
    "temperature",
    "climate",
    "city",
    "traffic",
    "flow",
    "sensor",
    "berlin",
    "munich",
    "paris",
    "tokyo",
    "satellite",
    "imagery",
    "energy",
    "grid",
    "consumption",
    "hospital",
    "records",
    "anonymised",
    "stock",
    "prices",
    "crypto",
    "trading",
    "volume",
    "model",
    "training",
    "images",
    "labelled",
    "mnist",
    "branin",
    "dataset",
    "forecast",
    "rainfall",
    "wind",
    "solar",
    "mobility",
    "parking",
    "air",
    "quality",
]
UNICODE_NAMES = [
    "Wetterdaten München",
    "Données météo Île-de-France",
    "東京 交通 データ",
    "Σύνολο δεδομένων Αθήνα",
    "Данные о погоде Москва",  # noqa: RUF001 (Cyrillic on purpose)
    "서울 교통 데이터",
    "São Paulo mobilidade",
    "Emoji 🌦️ forecast",
    "naïve café dataset",
]
OWNERS = [f"0x{hashlib.sha256(f'owner{i}'.encode()).hexdigest()[:40]}" for i in range(12)]


def _checksum_like(hex40: str, rng: random.Random) -> str:
    return "0x" + "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in hex40)


def _address(rng: random.Random) -> str:
    return _checksum_like(f"{rng.getrandbits(160):040x}", rng)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_asset(i: int, rng: random.Random) -> dict[str, Any]:
    chain = CHAINS[i % len(CHAINS)]
    nft_address = _address(rng)
    did = "did:op:" + hashlib.sha256(f"{nft_address}{chain}".encode()).hexdigest()
    is_algorithm = i % 4 == 3
    created = datetime(2022, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 24 * 900))
    if i == 7:
        name = "Branin dataset 1"
    elif i % 11 == 0:
        name = UNICODE_NAMES[(i // 11) % len(UNICODE_NAMES)]
    else:
        name = f"{_sentence(rng, rng.randint(1, 4)).title()} {i}"
    metadata: dict[str, Any] = {
        "created": _iso(created),
        "updated": _iso(created + timedelta(days=rng.randrange(0, 60))),
        "type": "algorithm" if is_algorithm else "dataset",
        "name": name,
        "author": rng.choice(["Ocean Labs", "deltaDAO", "Jürgen Müller", "城市 数据", "ACME"]),
        "license": rng.choice(["MIT", "CC-BY-4.0", "Apache-2.0"]),
    }
    if i % 9 != 4:
        metadata["description"] = f"{_sentence(rng, rng.randint(5, 30))}. Version v{i % 5}.{i % 3} ocean-data: x/y"
    if i % 6 != 5:
        metadata["tags"] = rng.sample(TAGS, rng.randint(1, 4))
    if is_algorithm:
        metadata["algorithm"] = {
            "language": rng.choice(["python", "node"]),
            "version": "0.1",
            "container": {"entrypoint": "python $ALGO", "image": "oceanprotocol/algo_dockers", "tag": "python-branin"},
            # free-form (mapped `enabled: false`): the same key holds a number here and a string there
            "consumerParameters": [
                {"name": "iterations", "type": "number", "label": "Iterations", "default": 3 if i % 8 == 3 else "3"}
            ],
        }
    if i % 10 == 2:
        metadata["additionalInformation"] = {"saas": {"redirectUrl": f"https://saas.example/{i}"}}
    datatoken = _address(rng)
    service_type = "compute" if (i % 5 == 1 or is_algorithm) else "access"
    service: dict[str, Any] = {
        "id": hashlib.sha256(f"service{i}".encode()).hexdigest(),
        "type": service_type,
        "files": "0x04f0dddf93c186c38bfea243e06889b490a491141585669cfbe7521a5c7acb3bfea7a5527a4f6a4aac",
        "datatokenAddress": datatoken,
        "serviceEndpoint": "https://v4.provider.oceanprotocol.com",
        "timeout": rng.choice([0, 3600, 86400]),
    }
    if service_type == "compute" and not is_algorithm:
        trusted = [f"did:op:{hashlib.sha256(f'algo{j}'.encode()).hexdigest()}" for j in range(i % 3)]
        service["compute"] = {
            "allowRawAlgorithm": False,
            "allowNetworkAccess": True,
            "publisherTrustedAlgorithmPublishers": [],
            "publisherTrustedAlgorithms": [
                {"did": d, "filesChecksum": "ab" * 32, "containerSectionChecksum": "cd" * 32} for d in trusted
            ],
        }
    owner = OWNERS[i % len(OWNERS)]
    doc: dict[str, Any] = {
        "@context": ["https://w3id.org/did/v1"],
        "id": did,
        "nftAddress": nft_address,
        "version": "4.1.0",
        "chainId": chain,
        "metadata": metadata,
        "services": [service],
        "nft": {
            "address": nft_address,
            "name": "Ocean Data NFT",
            "symbol": f"OCEAN-NFT-{i % 50}",
            "state": [0, 0, 0, 0, 1, 2, 3, 4, 5][i % 9],
            "owner": _checksum_like(owner[2:], rng) if i % 2 else owner,
            "created": _iso(created),
            "tokenURI": f"https://nft.example/{i}",
        },
        "datatokens": [
            {"address": datatoken, "name": f"Datatoken {i}", "symbol": f"DT{i}", "serviceId": service["id"]}
        ],
        "event": {
            "tx": "0x" + hashlib.sha256(f"tx{i}".encode()).hexdigest(),
            "txid": "0x" + hashlib.sha256(f"tx{i}".encode()).hexdigest(),
            "block": 1_000_000 + i * 37,
            "from": owner,
            "contract": nft_address,
            "datetime": _iso(created),
        },
        "purgatory": {"state": i % 13 == 0, "reason": "copyright" if i % 13 == 0 else ""},
    }
    if i % 8 != 6:
        stats: dict[str, Any] = {"orders": rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 40])}
        if i % 7 != 3:
            stats["price"] = {"value": rng.choice([0.0, 1.0, 2.5, 10.0, 99.99]), "tokenSymbol": "OCEAN"}
        if i % 3 == 0:
            stats["allocated"] = rng.choice([0.0, 12.5, 100.0, 1234.5])
        doc["stats"] = stats
    return doc


def make_corpus(count: int = 320, seed: int = 4242) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [make_asset(i, rng) for i in range(count)]
