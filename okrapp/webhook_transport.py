"""One webhook POST: to the addresses ``webhook_targets`` checked, and nowhere else.

The connection goes to a checked address, while the Host header and the TLS server name (and the
certificate's check) keep the URL's host: the name is never looked up a second time. Redirects are
answers, not followed. Only the answer's status and the time it took are kept: nothing a receiver says
(its body, its reason phrase, a malformed status line) comes back to the page, so a webhook cannot be
used to read what a server answers. Errors are told in our own words.

No proxy from the environment (``HTTPS_PROXY``…) is used: a proxy would look the name up again, out of
this check's reach.
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from okrapp.webhook_targets import Target, TargetNotFound, TargetRefused, webhook_target


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the HTTP status (None when no answer came), how long it took in milliseconds
    (None when nothing was sent), an error in words; ``refused``: the address is not allowed, so no
    attempt will ever be made."""

    status: int | None
    duration_ms: int | None = None
    error: str = ""
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def open_socket(addresses: Sequence[str], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of these addresses that answers (all were checked), trying them in
    turn within ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    last_error: OSError = TimeoutError("no address answered in time")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            return socket.create_connection((address, port), timeout=remaining)
        except OSError as exc:
            last_error = exc
    raise last_error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a checked address; ``host`` stays the URL's for the Host header."""

    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses, self.connect_timeout = target.addresses, timeout

    def connect(self) -> None:
        self.sock = open_socket(self.addresses, self.port, self.connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a checked address; the server name sent and verified is the URL's host."""

    def __init__(self, target: Target, *, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=tls)
        self.addresses, self.connect_timeout, self.tls = target.addresses, timeout, tls

    def connect(self) -> None:
        sock = open_socket(self.addresses, self.port, self.connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


@functools.cache
def default_tls() -> ssl.SSLContext:
    """The system's trusted certificates, host names checked (made once: loading them takes a while)."""
    return ssl.create_default_context()


def status_error(status: int) -> str:
    """A non-2xx status in words: the standard phrase, never the receiver's own."""
    if 300 <= status < 400:
        return f"HTTP {status}: a redirect (not followed)"
    try:
        return f"HTTP {status}: {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}: an unknown status"


def network_error(exc: Exception, *, target: Target, timeout: float) -> str:
    """A failed connection or answer in words (our own: nothing the receiver sent)."""
    where = f"{target.host}:{target.port}"
    if isinstance(exc, TimeoutError):
        return f"No answer from {where} within {timeout:g} seconds."
    if isinstance(exc, ConnectionRefusedError):
        return f"Connection refused: nothing listens at {where}."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The TLS certificate of {target.host} was not accepted: {exc.verify_message}."
    if isinstance(exc, ssl.SSLError):
        return f"The TLS handshake with {where} failed ({exc.reason or 'no reason given'})."
    if isinstance(exc, http.client.RemoteDisconnected):
        return f"{where} closed the connection without answering."
    if isinstance(exc, http.client.HTTPException):
        return f"The answer from {where} was not valid HTTP."
    if isinstance(exc, ConnectionError):
        return f"The connection to {where} was broken before an answer came."
    if isinstance(exc, OSError):
        return f"Network error with {where}: {exc.strerror or type(exc).__name__}."
    return f"Not sent: the request to {where} could not be made ({type(exc).__name__})."


def post(
    target: Target,
    *,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """POST the body to a checked target; every failure becomes an ``Answer``, never an exception. The
    answer's body is not read."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout=timeout, tls=tls or default_tls())
    else:
        connection = _PinnedHTTPConnection(target, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a malformed request line
        return Answer(
            status=None, duration_ms=_ms_since(started), error=network_error(exc, target=target, timeout=timeout)
        )
    finally:
        connection.close()
    return Answer(
        status=status, duration_ms=_ms_since(started), error="" if 200 <= status < 300 else status_error(status)
    )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def deliver(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    allow_internal: bool,
    timeout: float,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """Check the URL (resolving its host once), then POST to what was checked. A refused address is an
    ``Answer`` with ``refused`` set and nothing sent; a name without an address is a failed attempt."""
    try:
        target = webhook_target(url, allow_internal=allow_internal)
    except TargetRefused as refused:
        return Answer(status=None, error=f"Refused: {refused}.", refused=True)
    except TargetNotFound as missing:
        return Answer(status=None, error=f"Not sent: {missing}.")
    return post(target, body=body, headers=headers, timeout=timeout, tls=tls)
