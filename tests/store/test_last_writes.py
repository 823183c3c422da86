"""Writing a range of blocks at once keeps each document's last write, in the order of the last writes."""

from __future__ import annotations

from aquarius.store.base import Collection, Write, last_writes


def w(collection: Collection, doc_id: str, version: int) -> Write:
    return Write(collection, doc_id, {"v": version})


def test_a_rewritten_document_keeps_its_last_version_at_the_place_of_its_last_write() -> None:
    writes = [w(Collection.ORDERS, "a", 1), w(Collection.ORDERS, "b", 1), w(Collection.ORDERS, "a", 2)]
    assert last_writes(writes) == [w(Collection.ORDERS, "b", 1), w(Collection.ORDERS, "a", 2)]


def test_a_delete_is_a_last_write_too_and_collections_do_not_mix() -> None:
    delete = Write(Collection.ORDERS, "a", None)
    writes = [w(Collection.ORDERS, "a", 1), w(Collection.META, "a", 1), delete]
    assert last_writes(writes) == [w(Collection.META, "a", 1), delete]


def test_collections_kept_whole_keep_every_write_in_place() -> None:
    writes = [
        w(Collection.ASSETS, "a", 1),
        w(Collection.ORDERS, "o", 1),
        w(Collection.ASSETS, "a", 2),
        w(Collection.ORDERS, "o", 2),
    ]
    kept = last_writes(writes, keep_all=frozenset({Collection.ASSETS}))
    assert kept == [w(Collection.ASSETS, "a", 1), w(Collection.ASSETS, "a", 2), w(Collection.ORDERS, "o", 2)]
