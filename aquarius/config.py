"""Typed configuration, read from the environment (Aquarius' variable names where they exist) and optionally
from a JSON config file named by `AQUARIUS_CONFIG`. Everything is validated at start-up; a bad value fails with
a message that names the variable and the expected form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import AliasChoices, BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def _check_rpc_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.netloc:
        raise ValueError(f"{url!r} is not an RPC URL (expected http(s):// or ws(s)://host[:port][/path])")
    return url


def _is_websocket(url: str) -> bool:
    return urlparse(url).scheme in ("ws", "wss")


class ChainConfig(BaseModel):
    """One chain to index."""

    chain_id: int = Field(gt=0)
    rpc_urls: list[str] = Field(
        min_length=1,
        description="RPC endpoints, tried in order (failover); requests go over the http(s):// ones, a ws(s):// "
        "entry is taken as `ws_url`",
    )
    ws_url: str | None = Field(
        default=None,
        description="ws(s):// endpoint of a new-head subscription that wakes the live sync at once; "
        "default: none, the chain is polled",
    )
    start_block: int | None = Field(
        default=None, ge=0, description="first block to index; default: the Ocean deployment block of the chain"
    )
    confirmations: int = Field(default=0, ge=0)
    poll_interval: float = Field(default=1.0, gt=0)
    address_file: Path | None = Field(default=None, description="ocean-contracts address file for this chain")

    @field_validator("rpc_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return [_check_rpc_url(u) for u in urls]

    @field_validator("ws_url")
    @classmethod
    def _ws_url(cls, url: str | None) -> str | None:
        if url is not None and not _is_websocket(_check_rpc_url(url)):
            raise ValueError(f"{url!r} is not a websocket URL (expected ws(s)://host[:port][/path])")
        return url

    @model_validator(mode="after")
    def _subscription_endpoint(self) -> ChainConfig:
        """Requests are batched over HTTP(S); a websocket only carries the new-head subscription."""
        sockets = {u for u in self.rpc_urls if _is_websocket(u)} | ({self.ws_url} if self.ws_url else set())
        if len(sockets) > 1:
            raise ValueError(f"more than one websocket URL {sorted(sockets)}: name one subscription endpoint")
        self.rpc_urls = [u for u in self.rpc_urls if not _is_websocket(u)]
        if not self.rpc_urls:
            raise ValueError(
                f"chain {self.chain_id} has no http(s):// RPC URL: requests (eth_getLogs, batched eth_call) go over "
                "HTTP(S), a websocket only carries the new-head subscription; add the node's http(s):// URL to rpc_urls"
            )
        self.ws_url = sockets.pop() if sockets else None
        return self


def _json_list(value: Any, what: str) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            return json.loads(value)
        except json.JSONDecodeError as err:
            raise ValueError(f'expected a JSON list of {what}, e.g. ["0xabc..."]: {err.msg}') from None
    return value


class Settings(BaseSettings):
    """All settings. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, case_sensitive=True)

    # Store
    store: Literal["sqlite", "elasticsearch"] = Field(
        default="sqlite", validation_alias="AQUARIUS_STORE", description="storage backend"
    )
    sqlite_path: Path = Field(
        default=Path("aquarius.sqlite"), validation_alias="AQUARIUS_SQLITE_PATH", description="embedded store file"
    )
    db_hostname: str = Field(
        default="http://localhost",
        validation_alias="DB_HOSTNAME",
        description="Elasticsearch URL with scheme; several nodes of one cluster comma-separated",
    )
    db_port: int = Field(default=9200, validation_alias="DB_PORT", description="Elasticsearch port")
    db_username: str | None = Field(
        default=None, validation_alias="DB_USERNAME", description="Elasticsearch basic-auth user"
    )
    db_password: str | None = Field(
        default=None, validation_alias="DB_PASSWORD", description="Elasticsearch basic-auth password"
    )
    db_ssl: bool = Field(default=False, validation_alias="DB_SSL", description="use TLS options below")
    db_verify_certs: bool = Field(
        default=False, validation_alias="DB_VERIFY_CERTS", description="verify the server certificate"
    )
    db_ca_certs: Path | None = Field(default=None, validation_alias="DB_CA_CERTS", description="CA bundle file")
    db_client_key: Path | None = Field(default=None, validation_alias="DB_CLIENT_KEY", description="client key file")
    db_client_cert: Path | None = Field(
        default=None, validation_alias="DB_CLIENT_CERT", description="client certificate file"
    )
    db_shards: int = Field(default=1, gt=0, validation_alias="DB_SHARDS", description="shards per index")
    db_replicas: int = Field(default=1, ge=0, validation_alias="DB_REPLICAS", description="replicas per index")
    db_index: str = Field(default="aquarius", validation_alias="DB_INDEX", description="logical asset index name")
    db_timeout: float = Field(
        default=30.0, gt=0, validation_alias="DB_TIMEOUT", description="seconds an Elasticsearch request may take"
    )
    db_retry_deadline: float = Field(
        default=120.0,
        ge=0,
        validation_alias="DB_RETRY_DEADLINE",
        description="seconds an Elasticsearch request is retried while it fails for a passing reason (lost "
        "connection, timeout, 429, 502, 503, 504, or a bulk item rejected with 429 or 503) before it fails",
    )
    db_retry_backoff: float = Field(
        default=0.2,
        gt=0,
        validation_alias="DB_RETRY_BACKOFF",
        description="seconds before the first retry; doubled per attempt up to 5 s, jittered",
    )

    # Chains
    chains: Annotated[list[ChainConfig], NoDecode] = Field(
        default_factory=list,
        validation_alias="AQUARIUS_CHAINS",
        description='JSON list: [{"chain_id": 8996, "rpc_urls": ["http://127.0.0.1:8545"]}]',
    )
    events_rpc: str | None = Field(default=None, validation_alias="EVENTS_RPC", description="single-chain RPC URL")
    chain_id: int | None = Field(default=None, validation_alias="CHAIN_ID", description="chain id of EVENTS_RPC")
    address_file: Path | None = Field(
        default=None,
        validation_alias="ADDRESS_FILE",
        description="ocean-contracts address file; default: the bundled one",
    )
    lease_ttl: float = Field(
        default=15.0,
        ge=1.0,
        validation_alias="AQUARIUS_LEASE_TTL",
        description="seconds a chain's lease lasts unless renewed (every third of it): a killed indexer's chains "
        "are taken over by another indexer after at most this long",
    )
    blocks_chunk_size: int = Field(
        default=1000, gt=0, validation_alias="BLOCKS_CHUNK_SIZE", description="initial eth_getLogs range"
    )

    # Metadata pipeline
    private_key: str | None = Field(
        default=None, validation_alias="PRIVATE_KEY", description="indexer key: local decryption, signing"
    )
    allowed_publishers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ALLOWED_PUBLISHERS", description="JSON list; empty: anyone"
    )
    allowed_validators: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ALLOWED_VALIDATORS", description="JSON list; empty: no proof needed"
    )
    cpu_workers: int | None = Field(
        default=None,
        ge=1,
        validation_alias="AQUARIUS_CPU_WORKERS",
        description="processes that decrypt, decompress and validate DDOs; default: the CPU count; 1: a thread",
    )
    decryptor_timeout: float = Field(
        default=4.0, gt=0, validation_alias="DECRYPTOR_TIMEOUT", description="seconds for a remote decrypt call"
    )
    decryptor_allow_private: bool = Field(
        default=False,
        validation_alias="DECRYPTOR_ALLOW_PRIVATE",
        description="allow decryptor URLs on loopback/private addresses (development only)",
    )
    rbac_server_url: str | None = Field(
        default=None, validation_alias="RBAC_SERVER_URL", description="optional RBAC hook"
    )
    asset_purgatory_url: str | None = Field(
        default=None, validation_alias="ASSET_PURGATORY_URL", description="asset purgatory list"
    )
    account_purgatory_url: str | None = Field(
        default=None, validation_alias="ACCOUNT_PURGATORY_URL", description="account purgatory list"
    )
    purgatory_update_interval: int = Field(
        default=60, gt=0, validation_alias="PURGATORY_UPDATE_INTERVAL", description="minutes between purgatory fetches"
    )
    process_retry_max_hold: int = Field(
        default=1_209_600,
        gt=0,
        validation_alias="PROCESS_RETRY_MAX_HOLD",
        description="seconds a failed event is retried",
    )

    # API
    bind_url: str = Field(
        default="http://0.0.0.0:5000", validation_alias="AQUARIUS_BIND_URL", description="API listen address"
    )
    query_max_size: int = Field(
        default=1000,
        gt=0,
        validation_alias="AQUARIUS_QUERY_MAX_SIZE",
        description="largest `size` a search answers; larger sizes are clamped to it",
    )
    request_timeout: float = Field(
        default=10.0,
        gt=0,
        validation_alias="AQUARIUS_REQUEST_TIMEOUT",
        description="seconds an API request may take before it answers 504",
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        gt=0,
        validation_alias="AQUARIUS_MAX_BODY_BYTES",
        description="largest request body the API accepts (larger: 413)",
    )
    ready_max_lag: int = Field(
        default=100,
        ge=0,
        validation_alias="AQUARIUS_READY_MAX_LAG",
        description="blocks a chain may trail its head while /ready answers 200",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL", description="log level"
    )

    @field_validator("chains", mode="before")
    @classmethod
    def _chains(cls, value: Any) -> Any:
        return _json_list(value, "chain objects")

    @field_validator("allowed_publishers", "allowed_validators", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        value = _json_list(value, "addresses")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError('expected a JSON list of addresses, e.g. ["0xabc..."]')
        return [v.lower() for v in value]

    @field_validator("private_key")
    @classmethod
    def _private_key(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        digits = value.removeprefix("0x")
        if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError("expected a secp256k1 private key: 0x followed by 64 hex digits")
        return "0x" + digits.lower()

    @field_validator("events_rpc")
    @classmethod
    def _events_rpc(cls, value: str | None) -> str | None:
        return None if value is None else _check_rpc_url(value)

    @model_validator(mode="after")
    def _single_chain(self) -> Settings:
        if self.events_rpc and not any(self.events_rpc in (*c.rpc_urls, c.ws_url) for c in self.chains):
            if self.chain_id is None:
                raise ValueError("EVENTS_RPC is set but CHAIN_ID is not: set CHAIN_ID to the chain's id")
            if _is_websocket(self.events_rpc):
                raise ValueError(
                    "EVENTS_RPC is a websocket URL: requests go over HTTP(S); set EVENTS_RPC to the node's "
                    'http(s):// URL, or use AQUARIUS_CHAINS with "rpc_urls" and "ws_url"'
                )
            self.chains.append(ChainConfig(chain_id=self.chain_id, rpc_urls=[self.events_rpc]))
        ids = [c.chain_id for c in self.chains]
        if len(ids) != len(set(ids)):
            raise ValueError(f"AQUARIUS_CHAINS lists a chain id twice: {sorted(ids)}")
        return self

    @property
    def es_urls(self) -> list[str]:
        """Each node named by DB_HOSTNAME; DB_PORT is the port of those that name none."""
        urls = []
        for host in filter(None, (h.strip().rstrip("/") for h in self.db_hostname.split(","))):
            urls.append(host if urlparse(host).port else f"{host}:{self.db_port}")
        return urls

    @property
    def es_url(self) -> str:
        return ",".join(self.es_urls)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from `env` (default: the process environment) and the optional JSON file `AQUARIUS_CONFIG`."""
    import os

    source = dict(os.environ if env is None else env)
    file_values: dict[str, Any] = {}
    if source.get("AQUARIUS_CONFIG"):
        path = Path(source["AQUARIUS_CONFIG"])
        try:
            file_values = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ConfigError(f"AQUARIUS_CONFIG: cannot read {path} as JSON: {err}") from None
    merged = {**file_values, **{k: v for k, v in source.items() if k in _ENV_NAMES}}
    try:
        return Settings(**merged)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None


def _env_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
    return names


_ENV_NAMES = _env_names()


def _describe(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "configuration"
        lines.append(f"{where}: {e['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Path) else json.dumps(value)


def configuration_reference() -> str:
    """The Markdown reference of every setting, generated from the model (docs/configuration.md)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in Settings.model_fields.values():
        default = "" if field.is_required() else _show(field.get_default(call_default_factory=True))
        rows.append(f"| `{field.validation_alias}` | `{default}` | {field.description or ''} |")
    chain_rows = ["| key | default | meaning |", "|---|---|---|"]
    for name, field in ChainConfig.model_fields.items():
        default = "required" if field.is_required() else _show(field.get_default(call_default_factory=True))
        chain_rows.append(f"| `{name}` | `{default}` | {field.description or ''} |")
    return "\n".join(
        [
            "# Configuration",
            "",
            "Generated from `aquarius/config.py` by `python -m aquarius.config`; do not edit by hand.",
            "Settings come from the environment, or from a JSON file named by `AQUARIUS_CONFIG` with the same names",
            "as keys (the environment wins). Invalid values stop the program at start-up, naming the variable.",
            "",
            *rows,
            "",
            "## Chain objects (`AQUARIUS_CHAINS`)",
            "",
            *chain_rows,
            "",
        ]
    )


if __name__ == "__main__":
    print(configuration_reference(), end="")
