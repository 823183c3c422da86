"""A throw-away single-node Elasticsearch from the official test distribution, on a free loopback port.

Elasticsearch refuses to run as root, so when we are root the node runs as a dedicated system user that
owns only the node's own folder (config copy, data, logs); the unpacked distribution stays read-only.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from aquarius.devenv.ports import free_port, project_root

ES_USER = "aquarius-es"
DEFAULT_HEAP = "-Xms512m -Xmx1g"


class ElasticsearchStartError(RuntimeError):
    pass


def distribution_home() -> Path:
    """Path of the unpacked distribution, fetching it with mvn the first time."""
    override = os.environ.get("AQUARIUS_ES_HOME")
    if override:
        return Path(override)
    script = project_root() / "scripts" / "fetch-elasticsearch.sh"
    out = subprocess.run([str(script)], capture_output=True, text=True)
    if out.returncode != 0:
        raise ElasticsearchStartError(f"fetching Elasticsearch failed:\n{out.stderr.strip()}")
    return Path(out.stdout.strip().splitlines()[-1])


def _java_home() -> str:
    for var in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            return os.environ[var]
    java = shutil.which("java")
    if not java:
        raise ElasticsearchStartError("no Java found: install a JDK 17+ or set ES_JAVA_HOME")
    return str(Path(os.path.realpath(java)).parent.parent)


def _ensure_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(ES_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(ES_USER)


def _link_distribution(home: Path, target: Path) -> Path:
    """A hard-linked copy of the distribution inside the node's own folder: the unprivileged node user may not
    be able to traverse the checkout the cache lives in (a private temporary directory, a home folder)."""
    try:
        shutil.copytree(home, target, copy_function=os.link)
    except OSError:  # another file system: hard links are impossible, copy instead
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(home, target)
    return target


def _bcrypt_hash(password: str) -> str:
    import bcrypt

    # Elasticsearch's BCrypt reads the $2a$ prefix; the hash itself is the same as $2b$.
    return "$2a$" + bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()[4:]


@dataclass
class ElasticsearchNode:
    """A running node; `url` is its HTTP address, `auth` the basic-auth pair when security is on."""

    home: Path
    workdir: Path
    port: int
    process: subprocess.Popen[bytes]
    auth: tuple[str, str] | None = None
    startup_seconds: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "logs" / "node.log"

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        """A tiny synchronous HTTP client for fixtures and health checks."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def wipe(self) -> None:
        """Delete every index and alias a test created, leaving the node empty and ready."""
        self.request("DELETE", "/*")
        self.request("DELETE", "/_index_template/*")

    def log_tail(self, lines: int = 80) -> str:
        for candidate in (self.log_path, self.workdir / "logs" / "stdout.log"):
            if candidate.exists():
                return "\n".join(candidate.read_text(errors="replace").splitlines()[-lines:])
        return "(no log written)"

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_elasticsearch(
    *,
    security: bool = False,
    password: str = "aquarius-test-password",
    username: str = "aquarius",
    heap: str = DEFAULT_HEAP,
    timeout: float = 120.0,
    extra_settings: dict[str, str] | None = None,
) -> ElasticsearchNode:
    home = distribution_home()
    user = _ensure_user()
    workdir = Path(tempfile.mkdtemp(prefix="aquarius-es-"))
    if user is not None:
        home = _link_distribution(home, workdir / "home")
    config = workdir / "config"
    shutil.copytree(home / "config", config)
    (workdir / "data").mkdir()
    (workdir / "logs").mkdir()
    (workdir / "tmp").mkdir()
    port, transport_port = free_port(), free_port()
    settings = {
        "cluster.name": f"aquarius-test-{port}",
        "node.name": "node",
        "discovery.type": "single-node",
        "network.host": "127.0.0.1",
        "http.port": str(port),
        "transport.port": str(transport_port),
        "path.data": str(workdir / "data"),
        "path.logs": str(workdir / "logs"),
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "xpack.security.enabled": "true" if security else "false",
        "xpack.security.http.ssl.enabled": "false",
        "xpack.security.transport.ssl.enabled": "false",
        "action.destructive_requires_name": "false",
    }
    settings.update(extra_settings or {})
    (config / "elasticsearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()))
    (config / "log4j2.properties").write_text(_LOG4J)
    auth = None
    if security:
        (config / "users").write_text(f"{username}:{_bcrypt_hash(password)}\n")
        (config / "users_roles").write_text(f"superuser:{username}\n")
        auth = (username, password)
    if user is not None:
        for path in [workdir, config, *(p for p in workdir.iterdir() if p.name != "home"), *config.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ES_JAVA_HOME": _java_home(),
        "ES_PATH_CONF": str(config),
        "ES_TMPDIR": str(workdir / "tmp"),
        "ES_JAVA_OPTS": os.environ.get("AQUARIUS_ES_JAVA_OPTS", heap),
        "HOME": str(workdir),
    }
    stdout = (workdir / "logs" / "stdout.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        [str(home / "bin" / "elasticsearch")],
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        start_new_session=True,
    )
    node = ElasticsearchNode(home=home, workdir=workdir, port=port, process=process, auth=auth)
    try:
        _wait_healthy(node, timeout)
    except BaseException:
        log = node.log_tail()
        node.stop()
        raise ElasticsearchStartError(f"Elasticsearch did not become healthy on {node.url}:\n{log}") from None
    node.startup_seconds = time.monotonic() - started
    return node


def _wait_healthy(node: ElasticsearchNode, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise ElasticsearchStartError(f"Elasticsearch exited with code {node.process.returncode}")
        try:
            status, body = node.request("GET", "/_cluster/health?wait_for_status=yellow&timeout=1s")
            if status == 200 and isinstance(body, dict) and body.get("status") in ("yellow", "green"):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        time.sleep(0.25)
    raise ElasticsearchStartError(f"no healthy cluster within {timeout:.0f}s")


_LOG4J = """\
status = error
appender.rolling.type = File
appender.rolling.name = rolling
appender.rolling.fileName = ${sys:es.logs.base_path}${sys:file.separator}node.log
appender.rolling.layout.type = PatternLayout
appender.rolling.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.rolling.ref = rolling
"""
