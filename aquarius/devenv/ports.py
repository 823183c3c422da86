from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project_root() -> Path:
    """The source checkout this package runs from (holds scripts/, package.json and node_modules/)."""
    return Path(__file__).resolve().parents[2]
