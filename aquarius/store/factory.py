"""The configured store backend."""

from __future__ import annotations

from aquarius.config import Settings
from aquarius.store.base import Store


def make_store(settings: Settings) -> Store:
    if settings.store == "elasticsearch":
        from aquarius.store.elasticsearch import ElasticsearchStore
        from aquarius.store.elasticsearch_retry import Backoff

        auth = (settings.db_username, settings.db_password or "") if settings.db_username else None
        options: dict[str, object] = {}
        if settings.db_ssl:
            options = {
                "verify_certs": settings.db_verify_certs,
                "ca_certs": str(settings.db_ca_certs) if settings.db_ca_certs else None,
                "client_cert": str(settings.db_client_cert) if settings.db_client_cert else None,
                "client_key": str(settings.db_client_key) if settings.db_client_key else None,
            }
        return ElasticsearchStore(
            settings.es_urls,
            index_name=settings.db_index,
            basic_auth=auth,
            shards=settings.db_shards,
            replicas=settings.db_replicas,
            request_timeout=settings.db_timeout,
            backoff=Backoff(deadline=settings.db_retry_deadline, first_delay=settings.db_retry_backoff),
            client_options={k: v for k, v in options.items() if v is not None},
        )
    from aquarius.store.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path, asset_index_name=settings.db_index)
