"""A real TCP relay in front of a node that can be cut, for faults below HTTP (a websocket that drops).

It forwards bytes both ways, so HTTP requests and websocket sessions pass unchanged. `cut()` stops listening and
resets every open connection (the client sees "connection reset by peer", then "connection refused") until
`restore()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

from aquarius.devenv.ports import free_port


class TcpRelay:
    """Relays loopback port `port` to `upstream_port`. `await start()`, then point clients at `url(scheme)`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    async def start(self) -> TcpRelay:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port, reuse_address=True)
        return self

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            _reset(writer)
        self._open.clear()

    async def restore(self) -> None:
        await self.start()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(client_writer)
            return
        self._open |= {client_writer, upstream_writer}
        try:
            await asyncio.gather(_pump(client_reader, upstream_writer), _pump(upstream_reader, client_writer))
        finally:
            self._open -= {client_writer, upstream_writer}
            for writer in (client_writer, upstream_writer):
                writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    if not writer.is_closing():
        writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
