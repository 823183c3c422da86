"""An anvil node (Foundry's local EVM) started from the binary inside the npm package `@foundry-rs/anvil`."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aquarius.devenv.ports import free_port, project_root

DEV_CHAIN_ID = 8996


class AnvilStartError(RuntimeError):
    pass


def anvil_binary() -> Path:
    """The platform binary itself, so that the PID we hold is anvil's and not a Node wrapper's."""
    override = os.environ.get("AQUARIUS_ANVIL_BIN")
    if override:
        return Path(override)
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = platform.system().lower()
    path = project_root() / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    if not path.exists():
        raise AnvilStartError(f"anvil not found at {path}: run `npm install` in the project root (or `make install`)")
    return path


@dataclass
class AnvilNode:
    port: int
    chain_id: int
    process: subprocess.Popen[bytes]
    startup_seconds: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read())
        if "error" in answer:
            raise RuntimeError(f"{method} failed: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_anvil(
    *,
    chain_id: int = DEV_CHAIN_ID,
    port: int | None = None,
    block_time: float | None = None,
    extra_args: list[str] | None = None,
    timeout: float = 20.0,
) -> AnvilNode:
    port = port or free_port()
    args = [str(anvil_binary()), "--port", str(port), "--host", "127.0.0.1", "--chain-id", str(chain_id)]
    args += ["--silent", "--gas-limit", "60000000"]
    if block_time is not None:
        args += ["--block-time", str(block_time)]
    args += extra_args or []
    started = time.monotonic()
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True
    )
    node = AnvilNode(port=port, chain_id=chain_id, process=process)
    deadline = started + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise AnvilStartError(f"anvil exited with code {process.returncode}: {err.strip()}")
        try:
            if int(node.rpc("eth_chainId"), 16) == chain_id:
                node.startup_seconds = time.monotonic() - started
                return node
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.01)
    node.stop()
    raise AnvilStartError(f"anvil did not answer on {node.url} within {timeout:.0f}s")
