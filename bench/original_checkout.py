"""Ocean's original Aquarius (v5.x) from a local checkout, in a virtualenv of its own.

The checkout is checked first (a v5.x release with its events monitor); the Python its Dockerfile names is looked
up (on PATH, then among pyenv's versions); its `install_requires` from `setup.py` are installed by name from the
package index into `.cache/bench/original-venv`, once, and again only when they change. Its own `setup.py`
packages neither `aquarius.events` nor `aquarius.ddo_checker`, so its code always runs from the checkout itself.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aquarius.devenv.ports import project_root

MONITOR_SCRIPT = "events-monitor-main.py"
REQUIRED_FILES = (MONITOR_SCRIPT, "setup.py", "Dockerfile", "aquarius/events/events_monitor.py", ".bumpversion.cfg")


class CheckoutError(Exception):
    """The path is not a usable checkout of the original Aquarius v5.x, or its Python cannot be found."""


@dataclass(frozen=True)
class OriginalCheckout:
    path: Path
    version: str
    python_version: str
    requirements: tuple[str, ...]

    @classmethod
    def open(cls, path: Path) -> OriginalCheckout:
        path = path.expanduser().resolve()
        if not path.is_dir():
            raise CheckoutError(f"{path} is not a directory")
        missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
        if missing:
            raise CheckoutError(f"{path} is not a checkout of oceanprotocol/aquarius: no {', '.join(missing)}")
        setup = ast.parse((path / "setup.py").read_text())
        version = _setup_keyword(setup, "version")
        if not isinstance(version, str) or not version.startswith("5."):
            raise CheckoutError(f"{path} holds Aquarius {version}; this benchmark needs a v5.x release")
        requirements = _assigned_list(setup, "install_requirements")
        match = re.search(r"^FROM python:(\d+\.\d+)", (path / "Dockerfile").read_text(), re.MULTILINE)
        if not requirements or not match:
            raise CheckoutError(f"{path}: no install_requirements in setup.py or no python image in its Dockerfile")
        return cls(path, version, match.group(1), tuple(requirements))

    def venv_python(self, folder: Path | None = None) -> Path:
        """The virtualenv's interpreter, the virtualenv made and filled first if needed."""
        folder = folder or project_root() / ".cache" / "bench" / "original-venv"
        python, stamp = folder / "bin" / "python", folder / "requirements.txt"
        wanted = "\n".join(self.requirements) + "\n"
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        interpreter = find_python(self.python_version)
        print(f"creating {folder} with {interpreter} and {len(self.requirements)} requirements", flush=True)
        subprocess.run([str(interpreter), "-m", "venv", "--clear", str(folder)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--upgrade", "pip", "setuptools", "wheel"], check=True)
        subprocess.run([*pip, *self.requirements], check=True)
        stamp.write_text(wanted)
        return python


def find_python(version: str) -> Path:
    """An interpreter of exactly `version` (e.g. "3.8"): on PATH, else an installed pyenv version."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        candidates += [str(p) for p in sorted(Path(root).glob(f"versions/{version}.*/bin/python{version}"))]
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        answer = subprocess.run(probe, capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return Path(candidate)
    raise CheckoutError(f"no Python {version} found (the checkout's Dockerfile asks for it): install it, e.g. pyenv")


def monitor_environment(
    checkout: OriginalCheckout,
    *,
    rpc_url: str,
    es_url: str,
    index: str,
    address_file: Path,
    network: str,
    private_key: str,
    sleep_seconds: int,
) -> dict[str, str]:
    """The variables its events monitor reads (names from its own code), for one chain into one index."""
    scheme_host, port = es_url.rsplit(":", 1)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/"),
        "PYTHONPATH": str(checkout.path),
        "EVENTS_RPC": rpc_url,
        "NETWORK_NAME": network,
        "ADDRESS_FILE": str(address_file),
        "DB_HOSTNAME": scheme_host,
        "DB_PORT": port,
        "DB_SSL": "false",
        "DB_INDEX": index,
        "PRIVATE_KEY": private_key,
        "EVENTS_MONITOR_SLEEP_TIME": str(sleep_seconds),
        "BLOCKS_CHUNK_SIZE": "5000",  # its Docker image's value
        "PROCESS_RETRY_QUEUE": "0",
        "LOG_LEVEL": "INFO",
    }


def _setup_keyword(tree: ast.Module, name: str) -> object:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup":
            for keyword in node.keywords:
                if keyword.arg == name and isinstance(keyword.value, ast.Constant):
                    return keyword.value.value
    return None


def _assigned_list(tree: ast.Module, name: str) -> list[str]:
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.List)):
            continue
        if any(getattr(t, "id", None) == name for t in node.targets):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []
