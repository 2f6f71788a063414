"""What the Python client's tests share: the real `octopus` binary on 127.0.0.1:0 with a temp
data dir, certificates made with the openssl CLI, tokens made with `octopus token add`, and a
runner for `async def` tests (Debian has no pytest-asyncio; each coroutine test runs in its own
event loop, bounded by TEST_TIMEOUT).

Tests wait for events (a log line, an ack, a message), never for a fixed time. Every process
started here is stopped when its test ends, whatever happens (the `hub` and `procs` fixtures).
The binaries come from $OCTOPUS_BIN_DIR (ctest sets it), else build/bin of this checkout.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent
REPO = PACKAGE_ROOT.parent.parent
sys.path.insert(0, str(PACKAGE_ROOT))
BIN = Path(os.environ.get("OCTOPUS_BIN_DIR", REPO / "build" / "bin"))
PYTHON = "/usr/bin/python3"
TEST_TIMEOUT = 60.0

from octopus_client.address import HubAddress  # noqa: E402  (after the sys.path insert)


# --- async tests ------------------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    params = inspect.signature(pyfuncitem.obj).parameters
    args = {name: pyfuncitem.funcargs[name] for name in params}

    async def bounded():
        await asyncio.wait_for(pyfuncitem.obj(**args), TEST_TIMEOUT)

    asyncio.run(bounded())
    return True


# --- processes --------------------------------------------------------------------------------

class Process:
    """A child whose stdout+stderr a thread keeps reading (so its pipe never fills) into
    `output`; wait_for() blocks until a pattern shows up, the child exits, or the deadline."""

    def __init__(self, argv, env=None, cwd=None, stdin=False):
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     env=env, cwd=cwd)
        self.output = ""
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            with self._cond:
                self.output += raw.decode("utf-8", "replace")
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 15.0, start: int = 0) -> re.Match:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = regex.search(self.output, start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"{pattern!r} not seen in the output of "
                                         f"{self.argv[0]}:\n{self.output[-4000:]}")
                self._cond.wait(min(left, 0.5))

    def ask(self, line: str, timeout: float = 30.0) -> str:
        """Writes a command line to stdin and waits for its answer, `ok WORD ...`."""
        with self._cond:
            start = len(self.output)
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self.wait_for(rf"ok {line.split()[0]}[^\n]*\n", timeout, start).group(0)

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)

    def terminate(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"{self.argv[0]} ignored SIGTERM for {timeout} s")
        self._reader.join(5)
        return code

    def wait_exit(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    @property
    def running(self) -> bool:
        return self.proc.poll() is None


class Hub:
    """The real hub. url is ws://127.0.0.1:PORT (https/wss with tls=True); restart() brings it
    back on the same port and data dir after kill9() or stop()."""

    def __init__(self, directory: Path, *, local_crab=False, config: str = "",
                 alerts: str = "", tokens: Path = None, fsync="always", tls=None):
        self.dir = directory
        self.data = directory / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.local_crab = local_crab
        self.config = config
        self.alerts = alerts
        self.tokens = tokens
        self.fsync = fsync
        self.tls = tls  # a Pki: serve wss/https with a certificate it issues
        self.port = 0
        self.process = None

    def start(self):
        config = self.config
        if self.tls is not None:
            cert, key = self.tls.server()
            config += f'\n[tls]\ncert = "{cert}"\nkey = "{key}"\n'
        argv = [BIN / "octopus", "serve", "--listen", f"127.0.0.1:{self.port}", "--data",
                self.data, "--fsync", self.fsync]
        if config:
            (self.dir / "octopus.toml").write_text(config)
            argv += ["--config", self.dir / "octopus.toml"]
        if self.alerts:
            (self.dir / "alerts.toml").write_text(self.alerts)
            argv += ["--alerts", self.dir / "alerts.toml"]
        if self.tokens:
            argv += ["--tokens", self.tokens]
        if not self.local_crab:
            argv.append("--no-local-crab")
        self.process = Process(argv)
        m = self.process.wait_for(r"octopus listening on [^ ]+:(\d+)")
        self.port = int(m.group(1))
        return self

    @property
    def address(self) -> HubAddress:
        return HubAddress("127.0.0.1", self.port, self.tls is not None)

    @property
    def url(self) -> str:
        return self.address.ws

    @property
    def http(self) -> str:
        return self.address.http

    def kill9(self):
        self.process.kill9()

    def stop(self) -> int:
        return self.process.terminate()

    def restart(self):
        return self.start()

    def lines(self, crab: str):
        """Every line stored for `crab` in its JSONL files, exactly, in hub_seq order."""
        lines = []
        for f in sorted((self.data / crab / "records").rglob("detail.jsonl")):
            lines += f.read_text(encoding="utf-8").splitlines()
        return sorted(lines, key=lambda line: json.loads(line)["hub_seq"])

    def records(self, crab: str):
        """Every envelope stored for `crab`, decoded, in hub_seq order."""
        return [json.loads(line) for line in self.lines(crab)]

    def get(self, path: str, token: str = None):
        """Plain urllib GET on the hub (no client code involved), JSON-decoded."""
        import urllib.request
        req = urllib.request.Request(self.http + path)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        ctx = self.tls.context() if self.tls else None
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.loads(r.read())


class Pki:
    """A CA and the certificates it signs, made with the openssl CLI (as tests/support/
    test_pki.cpp does)."""

    def __init__(self, directory: Path, name: str = "test-ca"):
        self.dir = directory
        self.name = name
        self.ca = directory / f"{name}.pem"
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-days", "2", "-subj", f"/CN={name}", "-keyout",
                      directory / f"{name}.key", "-out", self.ca)

    def _openssl(self, *args):
        r = subprocess.run(["/usr/bin/openssl", *map(str, args)], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr.decode()

    def server(self, file: str = "hub"):
        cert, key = self.dir / f"{file}.pem", self.dir / f"{file}.key"
        if cert.exists():
            return cert, key
        csr, ext = self.dir / f"{file}.csr", self.dir / f"{file}.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-subj", "/CN=octopus-hub", "-keyout", key, "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
                      self.dir / f"{self.name}.key", "-CAcreateserial", "-days", "2",
                      "-extfile", ext, "-out", cert)
        return cert, key

    def context(self):
        import ssl
        return ssl.create_default_context(cafile=str(self.ca))


def add_token(file: Path, token_id: str, *scopes: str) -> str:
    """`octopus token add`: the token it prints once."""
    argv = [str(BIN / "octopus"), "token", "add", "--file", str(file), "--id", token_id]
    for s in scopes:
        argv += ["--scope", s]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def hubs(tmp_path):
    """Makes hubs (make(**options) -> a started Hub); every one is killed at the end."""
    made = []

    def make(**options):
        directory = tmp_path / f"hub{len(made)}"
        directory.mkdir()
        hub = Hub(directory, **options)
        made.append(hub)
        return hub.start()

    yield make
    for hub in made:
        if hub.process is not None and hub.process.running:
            hub.kill9()


@pytest.fixture
def hub(hubs):
    return hubs()


@pytest.fixture
def procs():
    """Starts other processes (start(argv, env=None) -> Process); all killed at the end."""
    started = []

    def start(argv, env=None, cwd=None, stdin=False):
        p = Process(argv, env=env, cwd=cwd, stdin=stdin)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.running:
            p.kill9()


class Proxy:
    """A TCP relay to the hub, run by the test's event loop, for faults a real network has:
    mute() swallows from then on whatever the hub sends (the client never sees its acks);
    cut() resets every relayed connection; cut(refuse=True) also closes new ones at once."""

    def __init__(self, port: int):
        self.target = port
        self.muted = False
        self.refusing = False
        self._links = set()
        self._server = None

    @classmethod
    async def start(cls, port: int) -> "Proxy":
        proxy = cls(port)
        proxy._server = await asyncio.start_server(proxy._relay, "127.0.0.1", 0)
        proxy.port = proxy._server.sockets[0].getsockname()[1]
        return proxy

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def _relay(self, reader, writer):
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        link = (writer, up_writer)
        self._links.add(link)

        async def pump(src, dst, from_hub):
            try:
                while data := await src.read(65536):
                    if from_hub and self.muted:
                        continue
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer, False), pump(up_reader, writer, True))
        self._links.discard(link)

    def mute(self):
        self.muted = True

    def cut(self, refuse: bool = False):
        self.muted = False
        self.refusing = refuse
        for a, b in list(self._links):
            for w in (a, b):
                w.transport.abort()
        self._links.clear()

    async def close(self):
        self.cut()
        self._server.close()
        await self._server.wait_closed()


def child_env(**extra) -> dict:
    """The environment for a child Python process that imports octopus_client from here."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PACKAGE_ROOT) + (os.pathsep + env["PYTHONPATH"]
                                             if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


async def until(predicate, timeout: float = 10.0, what: str = "condition"):
    """Polls an HTTP-visible state (crab online, a count) that sends no event of its own."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def snapshots(sub, n: int, timeout: float = 10.0):
    """The next n Snapshot events of a Subscriber (other events are skipped)."""
    from octopus_client import Snapshot
    got = []
    while len(got) < n:
        ev = await sub.next(timeout)
        if isinstance(ev, Snapshot):
            got.append(ev)
    return got
