from __future__ import annotations

import pytest

from aquarius.config import ConfigError, load_settings


def test_defaults_use_the_embedded_store() -> None:
    settings = load_settings({})
    assert settings.store == "sqlite"
    assert settings.db_index == "aquarius"
    assert settings.chains == []


def test_single_chain_from_aquarius_names() -> None:
    settings = load_settings(
        {"EVENTS_RPC": "http://127.0.0.1:8545", "CHAIN_ID": "8996", "ALLOWED_PUBLISHERS": '["0xABc"]'}
    )
    assert [(c.chain_id, c.rpc_urls) for c in settings.chains] == [(8996, ["http://127.0.0.1:8545"])]
    assert settings.allowed_publishers == ["0xabc"]


def test_several_chains_from_json() -> None:
    settings = load_settings(
        {
            "AQUARIUS_CHAINS": '[{"chain_id": 1, "rpc_urls": ["https://a", "https://b"], "confirmations": 3},'
            ' {"chain_id": 137, "rpc_urls": ["https://c"], "ws_url": "wss://c"}]'
        }
    )
    assert [c.chain_id for c in settings.chains] == [1, 137]
    assert settings.chains[0].confirmations == 3
    assert settings.chains[1].poll_interval == 1.0
    assert (settings.chains[0].ws_url, settings.chains[1].ws_url) == (None, "wss://c")


def test_config_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "aquarius.json"  # type: ignore[operator]
    path.write_text('{"DB_INDEX": "v510", "AQUARIUS_STORE": "elasticsearch"}')
    settings = load_settings({"AQUARIUS_CONFIG": str(path), "DB_PORT": "9201"})
    assert (settings.db_index, settings.store, settings.es_url) == ("v510", "elasticsearch", "http://localhost:9201")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EVENTS_RPC": "http:127.0.0.1:8545", "CHAIN_ID": "1"}, "EVENTS_RPC: Value error, 'http:127.0.0.1:8545'"),
        ({"EVENTS_RPC": "http://127.0.0.1:8545"}, "EVENTS_RPC is set but CHAIN_ID is not"),
        ({"ALLOWED_PUBLISHERS": "[0x12"}, "ALLOWED_PUBLISHERS: Value error, expected a JSON list of addresses"),
        ({"ALLOWED_VALIDATORS": "[1, 2]"}, "ALLOWED_VALIDATORS: Value error, expected a JSON list of addresses"),
        ({"AQUARIUS_CHAINS": '[{"chain_id": 1}]'}, "AQUARIUS_CHAINS.0.rpc_urls: Field required"),
        ({"AQUARIUS_STORE": "mongo"}, "AQUARIUS_STORE: Input should be 'sqlite' or 'elasticsearch'"),
        ({"AQUARIUS_CONFIG": "/nonexistent/aquarius.json"}, "AQUARIUS_CONFIG: cannot read /nonexistent/aquarius.json"),
        (
            {
                "AQUARIUS_CHAINS": '[{"chain_id": 5, "rpc_urls": ["http://a"]}, {"chain_id": 5, "rpc_urls": ["http://b"]}]'
            },
            "lists a chain id twice",
        ),
    ],
)
def test_bad_configuration_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert message in str(err.value)


def test_configuration_reference_is_up_to_date() -> None:
    from pathlib import Path

    from aquarius.config import configuration_reference

    checked_in = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    assert checked_in == configuration_reference(), "regenerate with: python -m aquarius.config > docs/configuration.md"
