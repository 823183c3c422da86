"""Throw-away Elasticsearch from the official test distribution on free loopback ports: a single node, or a
cluster of several whose nodes can be halted and resumed.

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
from typing import Any

from aquarius.devenv.ports import free_port, project_root

ES_USER = "aquarius-es"
DEFAULT_HEAP = "-Xms512m -Xmx1g"
CLUSTER_NODE_HEAP = "-Xms512m -Xmx512m"


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
    """A node of a throw-away cluster; `url` is its HTTP address, `auth` the basic-auth pair when security is on.
    `halt` ends its process but keeps its data, `resume` starts it again on the same ports and data."""

    home: Path
    workdir: Path
    port: int
    user: pwd.struct_passwd | None
    heap: str
    auth: tuple[str, str] | None = None
    startup_seconds: float = 0.0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _removed: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "logs" / "node.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

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

    def launch(self) -> None:
        """Start the node's process (again) on its configuration and data; returns at once."""
        assert not self.running, "the node is already running"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ES_JAVA_HOME": _java_home(),
            "ES_PATH_CONF": str(self.workdir / "config"),
            "ES_TMPDIR": str(self.workdir / "tmp"),
            "ES_JAVA_OPTS": os.environ.get("AQUARIUS_ES_JAVA_OPTS", self.heap),
            "HOME": str(self.workdir),
        }
        with (self.workdir / "logs" / "stdout.log").open("ab") as stdout:
            self.process = subprocess.Popen(
                [str(self.home / "bin" / "elasticsearch")],
                env=env,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self.user.pw_uid if self.user else None,
                group=self.user.pw_gid if self.user else None,
                start_new_session=True,
            )

    def halt(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """End the process with `sig` (SIGKILL: as a crash would) and wait for it; the data stays."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def wait_health(self, query: str, timeout: float) -> dict[str, Any]:
        """Poll `_cluster/health?<query>` on this node until it answers 200 (its wait conditions met)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ElasticsearchStartError(f"Elasticsearch exited with code {self.process.returncode}")
            try:
                status, body = self.request("GET", f"/_cluster/health?{query}&timeout=1s")
                if status == 200 and isinstance(body, dict) and not body.get("timed_out"):
                    return body
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass
            time.sleep(0.25)
        raise ElasticsearchStartError(f"no cluster health matching {query!r} within {timeout:.0f}s")

    def stop(self) -> None:
        """End the process and delete the node's folder."""
        if self._removed:
            return
        self._removed = True
        self.halt()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _prepare_node(
    settings: dict[str, object], *, heap: str, users: str | None = None, auth: tuple[str, str] | None = None
) -> ElasticsearchNode:
    """A node's own folder (config copy, data, logs) with `settings` in its elasticsearch.yml; not started."""
    home = distribution_home()
    user = _ensure_user()
    workdir = Path(tempfile.mkdtemp(prefix="aquarius-es-"))
    if user is not None:
        home = _link_distribution(home, workdir / "home")
    config = workdir / "config"
    shutil.copytree(home / "config", config)
    for folder in ("data", "logs", "tmp"):
        (workdir / folder).mkdir()
    port = int(str(settings["http.port"]))
    settings = {
        "network.host": "127.0.0.1",
        "path.data": str(workdir / "data"),
        "path.logs": str(workdir / "logs"),
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "xpack.security.http.ssl.enabled": "false",
        "xpack.security.transport.ssl.enabled": "false",
        "action.destructive_requires_name": "false",
        **settings,
    }
    (config / "elasticsearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()))
    (config / "log4j2.properties").write_text(_LOG4J)
    if users is not None:
        (config / "users").write_text(users)
        (config / "users_roles").write_text(f"superuser:{users.split(':', 1)[0]}\n")
    if user is not None:
        for path in [workdir, config, *(p for p in workdir.iterdir() if p.name != "home"), *config.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
    return ElasticsearchNode(home=home, workdir=workdir, port=port, user=user, heap=heap, auth=auth)


def _start_and_wait(nodes: list[ElasticsearchNode], query: str, timeout: float) -> None:
    """Launch every node, then wait on the first one for the cluster health `query`; on failure the nodes are
    removed and the error carries the logs."""
    started = time.monotonic()
    try:
        for node in nodes:
            node.launch()
        nodes[0].wait_health(query, timeout)
    except BaseException:
        logs = "\n".join(f"--- {node.url}\n{node.log_tail()}" for node in nodes)
        for node in nodes:
            node.stop()
        raise ElasticsearchStartError(f"Elasticsearch did not become healthy:\n{logs}") from None
    for node in nodes:
        node.startup_seconds = time.monotonic() - started


def start_elasticsearch(
    *,
    security: bool = False,
    password: str = "aquarius-test-password",
    username: str = "aquarius",
    heap: str = DEFAULT_HEAP,
    timeout: float = 120.0,
    extra_settings: dict[str, str] | None = None,
) -> ElasticsearchNode:
    """A single-node cluster, yellow or green when this returns."""
    port = free_port()
    settings: dict[str, object] = {
        "cluster.name": f"aquarius-test-{port}",
        "node.name": "node",
        "discovery.type": "single-node",
        "http.port": str(port),
        "transport.port": str(free_port()),
        "xpack.security.enabled": "true" if security else "false",
        **(extra_settings or {}),
    }
    users = f"{username}:{_bcrypt_hash(password)}\n" if security else None
    node = _prepare_node(settings, heap=heap, users=users, auth=(username, password) if security else None)
    _start_and_wait([node], "wait_for_status=yellow", timeout)
    return node


@dataclass
class ElasticsearchCluster:
    """Nodes of one cluster on loopback. Node 0 is the only master-eligible node (a cluster of two cannot keep
    a quorum of two masters through the loss of either), the others hold data only: any of them may be halted
    and resumed while the cluster keeps a master."""

    nodes: list[ElasticsearchNode]

    @property
    def master(self) -> ElasticsearchNode:
        return self.nodes[0]

    @property
    def hosts(self) -> str:
        """Every node's URL, comma-separated, as `DB_HOSTNAME` takes them (each with its port)."""
        return ",".join(node.url for node in self.nodes)

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        return self.master.request(method, path, body)

    def wait_health(self, query: str, timeout: float = 60.0) -> dict[str, Any]:
        return self.master.wait_health(query, timeout)

    def wait_green(self, timeout: float = 60.0) -> dict[str, Any]:
        return self.wait_health(f"wait_for_status=green&wait_for_nodes={len(self.nodes)}", timeout)

    def halt(self, node: ElasticsearchNode, sig: signal.Signals = signal.SIGKILL) -> None:
        """End a data node's process (SIGKILL by default, as a crash would) and wait until the master has
        dropped it from the cluster."""
        assert node is not self.master, "the cluster's only master-eligible node cannot go away"
        node.halt(sig)
        self.wait_health(f"wait_for_nodes={len(self.nodes) - 1}")

    def resume(self, node: ElasticsearchNode, timeout: float = 120.0) -> None:
        """Start a halted node again and wait until it has rejoined and every shard is allocated."""
        node.launch()
        self.wait_green(timeout)

    def wipe(self) -> None:
        self.master.wipe()

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


def start_elasticsearch_cluster(
    size: int = 2,
    *,
    heap: str = CLUSTER_NODE_HEAP,
    timeout: float = 180.0,
    extra_settings: dict[str, str] | None = None,
) -> ElasticsearchCluster:
    """`size` nodes forming one cluster, green with every node joined when this returns."""
    http_ports = [free_port() for _ in range(size)]
    transport_ports = [free_port() for _ in range(size)]
    names = [f"node-{i}" for i in range(size)]
    nodes = [
        _prepare_node(
            {
                "cluster.name": f"aquarius-test-cluster-{http_ports[0]}",
                "node.name": names[i],
                "node.roles": ["master", "data"] if i == 0 else ["data"],
                "discovery.seed_hosts": [f"127.0.0.1:{p}" for p in transport_ports],
                "cluster.initial_master_nodes": names[:1],
                "http.port": str(http_ports[i]),
                "transport.port": str(transport_ports[i]),
                "xpack.security.enabled": "false",
                **(extra_settings or {}),
            },
            heap=heap,
        )
        for i in range(size)
    ]
    _start_and_wait(nodes, f"wait_for_status=green&wait_for_nodes={size}", timeout)
    return ElasticsearchCluster(nodes)


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
