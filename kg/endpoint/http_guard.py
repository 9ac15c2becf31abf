"""HTTP checks of the endpoint, before any route: the Host header, and queries per client.

Host: a web page on another site can make the browser send requests to 127.0.0.1 under a name
of the attacker's that resolves there (DNS rebinding). Answering only requests whose Host is a
name the server is served under stops that; CORS is off unless origins are named.
Per client: a client (an IP address) runs at most `per_client` queries at once; its further
queries wait their turn (bounded), so one client's slow queries cannot take every worker.
"""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from collections.abc import Iterable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def served_names(host: str, extra: Iterable[str] = ()) -> set[str]:
    """The names a server bound to `host` answers to: loopback names, the bound address and, for
    a wildcard bind, this machine's names and addresses; plus `extra` ("*" allows any)."""
    names = {h.lower() for h in extra}
    names.update(LOOPBACK_NAMES)
    names.add(host.strip("[]").lower())
    if host in ("0.0.0.0", "::", ""):
        try:
            hostname = socket.gethostname()
            names.update({hostname.lower(), socket.getfqdn().lower()})
            names.update(socket.gethostbyname_ex(hostname)[2])
        except OSError:
            pass
    return names


def host_of(header: str) -> str:
    """The host of a Host header without its port ("[::1]:8000" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """ASGI middleware: 400 for a request whose Host header is not a served name."""

    def __init__(self, app, allowed: set[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and "*" not in self.allowed:
            headers = dict(scope.get("headers") or [])
            host = host_of(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.allowed:
                body = b"invalid Host header: this endpoint answers only to the names it is served under"
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class PerClient:
    """At most `limit` queries at once per client address; the others wait up to `wait` s."""

    def __init__(self, limit: int, wait: float) -> None:
        self.limit, self.wait = limit, wait
        self._gates: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.limit))
        self._users: dict[str, int] = defaultdict(int)

    async def acquire(self, client: str) -> bool:
        gate = self._gates[client]
        self._users[client] += 1
        try:
            await asyncio.wait_for(gate.acquire(), self.wait)
            return True
        except TimeoutError:
            self._forget(client)
            return False

    def release(self, client: str) -> None:
        self._gates[client].release()
        self._forget(client)

    def _forget(self, client: str) -> None:
        self._users[client] -= 1
        if self._users[client] <= 0:  # no unbounded table of past clients
            self._users.pop(client, None)
            self._gates.pop(client, None)
