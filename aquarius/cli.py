"""The `aquarius` command line: one entry point for the daemon, the API, the demo and the admin tools."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from aquarius.config import ConfigError, Settings, load_settings
from aquarius.logs import configure_logging


def _settings() -> Settings:
    return load_settings()


def _run(index: bool, serve: bool, chain_ids: list[int] | None = None) -> int:
    import asyncio

    from aquarius.runner import run

    coroutine = run(_settings(), index=index, serve=serve, chain_ids=chain_ids)
    if index:
        asyncio.run(coroutine)
    else:
        import uvloop

        # The API alone runs on libuv's event loop, which answers each request with less CPU time.
        uvloop.run(coroutine)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    return _run(index=True, serve=True, chain_ids=args.chains)


def cmd_index(args: argparse.Namespace) -> int:
    return _run(index=True, serve=False, chain_ids=args.chains)


def cmd_serve(args: argparse.Namespace) -> int:
    return _run(index=False, serve=True)


def cmd_validate(args: argparse.Namespace) -> int:
    from aquarius.metadata.errors import MetadataError
    from aquarius.metadata.payload import parse_ddo
    from aquarius.metadata.validation import validate_ddo

    try:
        ddo = parse_ddo(Path(args.file).read_bytes())
    except OSError as err:
        print(f"aquarius validate: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return 2
    except MetadataError as err:
        print(f"{args.file}: {err.message}")
        return 1
    result = validate_ddo(ddo)
    if result.valid:
        print("valid")
        return 0
    for path, message in result.errors.items():
        print(f"{path}: {message}")
    return 1


def cmd_reindex(args: argparse.Namespace) -> int:
    import asyncio

    from aquarius.admin import reindex

    asyncio.run(reindex(_settings()))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import asyncio

    from aquarius.admin import print_status

    asyncio.run(print_status(_settings()))
    return 0


def cmd_purge_chain(args: argparse.Namespace) -> int:
    import asyncio

    from aquarius.admin import purge_chain

    removed = asyncio.run(purge_chain(_settings(), args.chain_id))
    print(f"chain {args.chain_id} purged: " + (", ".join(f"{n} {c}" for c, n in removed.items()) or "nothing stored"))
    return 0


def cmd_rewind_chain(args: argparse.Namespace) -> int:
    import asyncio

    from aquarius.admin import rewind_chain

    asyncio.run(rewind_chain(_settings(), args.chain_id, args.from_block))
    print(f"chain {args.chain_id}: the indexer applies blocks from {args.from_block} again on its next start")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from aquarius.demo import run_demo

    return run_demo(interval=args.interval)


def _chain_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected chain ids separated by commas, e.g. 1,137: {text!r}") from None
    if not ids:
        raise argparse.ArgumentTypeError("expected at least one chain id, e.g. 1,137")
    return ids


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aquarius",
        description="Ocean Protocol metadata indexer and search API. Configuration comes from the environment "
        "(see docs/configuration.md) or a JSON file named by AQUARIUS_CONFIG.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    for indexing in (
        add("run", cmd_run, "index the configured chains and serve the API in one process"),
        add("index", cmd_index, "index the configured chains into the store (no API)"),
    ):
        indexing.add_argument(
            "--chains",
            type=_chain_ids,
            metavar="ID,ID...",
            help="index only these configured chains (default: all); each chain is indexed by one process at a "
            "time, the holder of its lease in the store",
        )
    add("serve", cmd_serve, "serve the Aquarius REST API from the store (no indexing)")
    demo = add(
        "demo",
        cmd_demo,
        "start two local chains with the Ocean contracts, publish a sample catalog, index it into the embedded "
        "store and serve the API; keeps publishing until Ctrl-C",
    )
    demo.add_argument("--interval", type=float, default=5.0, help="seconds between live publications (default 5)")
    validate = add("validate", cmd_validate, "validate a DDO file against its schema version")
    validate.add_argument("file", help="path of a DDO JSON file")
    add("reindex", cmd_reindex, "rebuild the asset index under a new version and swap the alias")
    add("status", cmd_status, "print per-chain head, last indexed block, lag and retry-queue size")
    purge = add("purge-chain", cmd_purge_chain, "delete every document of one chain and its cursor")
    purge.add_argument("chain_id", type=int, help="the chain id")
    rewind = add(
        "reindex-chain", cmd_rewind_chain, "index one chain again from a block (idempotent: missed events are added)"
    )
    rewind.add_argument("chain_id", type=int, help="the chain id")
    rewind.add_argument("--from", dest="from_block", type=int, default=0, help="first block to apply again")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO").upper())
    try:
        return int(args.handler(args))
    except ConfigError as err:
        print(f"aquarius: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
