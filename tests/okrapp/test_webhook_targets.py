"""Where a webhook may deliver (issue 19, finding 1): the address check by tables, with DNS answered
from tables too, and the sending that connects only to the address it checked, with the URL's host in the
Host header and as the TLS server name. Nothing here leaves 127.0.0.0/8 (tests/conftest.py's
``webhook_network`` fails a test that tries)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from okrapp import webhook_targets, webhook_transport
from okrapp.webhook_targets import TargetNotFound, TargetRefused, address_kind, webhook_target

TLS_CERTIFICATE = Path(__file__).parent / "data" / "webhook-tls-hooks.test.pem"  # self-signed, hooks.test only


# --- One address ------------------------------------------------------------------------------------

# (address, why it is not public: words the reason must hold, or None for a public one; allowed when the
# installation allows internal targets)
ADDRESSES = [
    ("127.0.0.1", "a loopback address", True),
    ("127.45.6.7", "a loopback address", True),
    ("::1", "a loopback address", True),
    ("0.0.0.0", "the unspecified address", False),
    ("::", "the unspecified address", False),
    ("0.1.2.3", "an address of this network", False),
    ("10.0.0.1", "a private network address", True),
    ("172.16.0.1", "a private network address", True),
    ("172.31.255.255", "a private network address", True),
    ("192.168.1.10", "a private network address", True),
    ("fd12:3456:789a::1", "a private network address (unique local)", True),
    ("fc00::1", "a private network address (unique local)", True),
    ("fec0::1", "a site-local address", True),
    ("169.254.169.254", "a cloud metadata address", False),
    ("169.254.170.2", "a cloud metadata address", False),
    ("100.100.100.200", "a cloud metadata address", False),
    ("168.63.129.16", "a cloud metadata address", False),  # public space, but Azure's own
    ("fd00:ec2::254", "a cloud metadata address", False),
    ("169.254.1.1", "a link-local address", True),
    ("fe80::1", "a link-local address", True),
    ("100.64.0.1", "a shared address", True),
    ("100.127.255.254", "a shared address", True),
    ("224.0.0.1", "a multicast address", False),  # is_global says True for IPv4 multicast
    ("239.255.255.250", "a multicast address", False),
    ("ff02::1", "a multicast address", False),
    ("ff0e::1", "a multicast address", False),  # and for global-scope IPv6 multicast
    ("255.255.255.255", "a reserved address", True),
    ("240.0.0.1", "a reserved address", True),
    ("192.0.2.1", "a reserved address", True),  # documentation
    ("198.51.100.7", "a reserved address", True),
    ("203.0.113.9", "a reserved address", True),
    ("198.18.0.1", "a reserved address", True),  # benchmarking
    ("2001:db8::1", "a reserved address", True),
    ("::ffff:127.0.0.1", "an IPv6 form of 127.0.0.1, a loopback address", True),
    ("::ffff:10.0.0.1", "an IPv6 form of 10.0.0.1, a private network address", True),
    ("::ffff:169.254.169.254", "an IPv6 form of 169.254.169.254, a cloud metadata address", False),
    ("::127.0.0.1", "an IPv6 form of 127.0.0.1, a loopback address", True),  # IPv4-compatible
    ("::8.8.8.8", "a reserved address", True),  # IPv4-compatible forms are not routed at all
    ("64:ff9b::a9fe:a9fe", "an IPv6 form of 169.254.169.254, a cloud metadata address", False),  # NAT64
    ("64:ff9b::a00:1", "an IPv6 form of 10.0.0.1, a private network address", True),
    ("2002:7f00:1::", "an IPv6 form of 127.0.0.1, a loopback address", True),  # 6to4
    ("2002:a9fe:a9fe::1", "an IPv6 form of 169.254.169.254, a cloud metadata address", False),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "an IPv6 form of", True),  # Teredo
    ("93.184.215.14", None, True),
    ("8.8.8.8", None, True),
    ("172.32.0.1", None, True),  # just outside 172.16.0.0/12
    ("100.128.0.1", None, True),  # just outside 100.64.0.0/10
    ("11.0.0.1", None, True),
    ("2606:4700:4700::1111", None, True),
    ("::ffff:8.8.8.8", None, True),  # an IPv4-mapped public address is that public address
]


@pytest.mark.parametrize(("address", "words", "internal"), ADDRESSES)
def test_each_address_is_public_or_refused_with_its_reason(address, words, internal):
    kind = address_kind(ipaddress.ip_address(address))
    if words is None:
        assert kind is None
        target = webhook_target(
            f"https://[{address}]/" if ":" in address else f"https://{address}/", allow_internal=False
        )
        assert target.addresses == (address,)
        return
    assert kind is not None and kind.words.startswith(words) and kind.internal is internal
    url = f"http://[{address}]:8080/hook" if ":" in address else f"http://{address}:8080/hook"
    with pytest.raises(TargetRefused, match=f"^{address} is ") as refused:
        webhook_target(url, allow_internal=False)
    assert words in str(refused.value) and refused.value.internal is internal
    if internal:  # a self-hoster's own network: allowed when the installation says so
        assert webhook_target(url, allow_internal=True).addresses == (address,)
    else:  # metadata, multicast, unspecified: never
        with pytest.raises(TargetRefused):
            webhook_target(url, allow_internal=True)


# --- Host names: every answer counts -------------------------------------------------------------------


def table(**answers: list[str]):
    """A resolver answering from a table (dots written as underscores in the keywords); others: not found."""
    names = {name.replace("_", "."): addresses for name, addresses in answers.items()}
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return names[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


DNS = table(
    hooks_example_com=["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    localhost=["127.0.0.1", "::1"],
    mixed_example_com=["93.184.215.14", "10.0.0.7"],
    v6_example_com=["93.184.215.14", "::ffff:127.0.0.1"],
    metadata_google_internal=["169.254.169.254"],
    empty_example_com=[],
)
LOCAL = table(localhost=["127.0.0.1"])  # for sending: nothing leaves 127.0.0.0/8, not even to ::1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://localhost:8000/healthz", "localhost resolves to 127.0.0.1, a loopback address"),
        ("https://mixed.example.com/hook", "mixed.example.com resolves to 10.0.0.7, a private network address"),
        ("https://v6.example.com/", "v6.example.com resolves to ::ffff:127.0.0.1, an IPv6 form of 127.0.0.1"),
        ("http://metadata.google.internal/computeMetadata/v1/", "resolves to 169.254.169.254, a cloud metadata"),
        ("ftp://hooks.example.com/x", "only http:// and https:// addresses are allowed"),
        ("file:///etc/passwd", "only http:// and https:// addresses are allowed"),
        ("gopher://127.0.0.1:6379/_INFO", "only http:// and https:// addresses are allowed"),
        ("https://user:secret@hooks.example.com/", "user name or password"),
        ("https://token@hooks.example.com/", "user name or password"),
        ("https://hooks.example.com:99999/", "the port is not a number from 1 to 65535"),
        ("https://hooks.example.com:0/", "the port is not a number from 1 to 65535"),
        ("https:///no-host", "the address names no host"),
    ],
)
def test_a_url_is_refused_when_any_of_its_hosts_addresses_is_not_public(url, reason):
    with pytest.raises(TargetRefused) as refused:
        webhook_target(url, allow_internal=False, resolve=DNS)
    assert reason in str(refused.value)


@pytest.mark.parametrize("url", ["https://nowhere.example.com/", "https://empty.example.com/"])
def test_a_name_without_an_address_is_not_found_rather_than_refused(url):
    with pytest.raises(TargetNotFound, match="no address found for"):
        webhook_target(url, allow_internal=True, resolve=DNS)


def test_a_public_host_keeps_its_name_port_path_and_every_checked_address():
    target = webhook_target("https://Hooks.Example.com./okr?team=3#ignored", allow_internal=False, resolve=DNS)
    assert target == webhook_targets.Target(
        scheme="https",
        host="hooks.example.com",
        port=443,
        path="/okr?team=3",
        addresses=("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    )
    assert webhook_target("http://hooks.example.com:8080", allow_internal=False, resolve=DNS).path == "/"


def test_allowing_internal_targets_lets_the_own_network_through_but_never_metadata():
    assert webhook_target("http://localhost:8000/hook", allow_internal=True, resolve=DNS).addresses == (
        "127.0.0.1",
        "::1",
    )
    with pytest.raises(TargetRefused, match="cloud metadata"):
        webhook_target("http://metadata.google.internal/", allow_internal=True, resolve=DNS)


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1"])
def test_numeric_spellings_of_loopback_are_judged_by_what_they_resolve_to(host):
    """The system resolver reads these as 127.0.0.1 (AI_NUMERICHOST: parsed here, no DNS query); the check
    judges the address resolved, so no spelling slips past."""

    def numeric_only(name: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return [str(info[4][0]) for info in infos]

    with pytest.raises(TargetRefused, match=f"^{host} resolves to 127.0.0.1, a loopback address$"):
        webhook_target(f"http://{host}/", allow_internal=False, resolve=numeric_only)


# --- Sending: to the address checked, nowhere else ----------------------------------------------------


class Server:
    """A local HTTP(S) server keeping each request's Host header and (TLS) the server name asked for."""

    def __init__(self, *, status: int = 204, reason: str | None = None, tls: bool = False) -> None:
        self.hosts: list[str] = []
        self.server_names: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.hosts.append(self.headers["Host"])
                self.send_response(status, reason)
                self.send_header("Content-Length", "24")
                self.end_headers()
                self.wfile.write(b"internal secret: hunter2")

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS_CERTIFICATE)
            context.sni_callback = lambda sock, name, ctx: server.server_names.append(name)  # type: ignore[assignment]
            self.http.socket = context.wrap_socket(self.http.socket, server_side=True)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server_factory():
    started: list[Server] = []

    def make(**kwargs) -> Server:
        started.append(Server(**kwargs))
        return started[-1]

    yield make
    for server in started:
        server.stop()


def post(url: str, *, resolve, allow_internal: bool = True, tls: ssl.SSLContext | None = None):
    target = webhook_target(url, allow_internal=allow_internal, resolve=resolve)
    return webhook_transport.post(target, body=b"{}", headers={"Content-Type": "application/json"}, timeout=5, tls=tls)


def test_the_name_is_resolved_once_and_the_connection_goes_to_the_address_checked(server_factory):
    """DNS rebinding: a second lookup could answer 127.0.0.2 (nothing listens there); there is none."""
    server = server_factory()
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    answer = post(f"http://rebind.example.com:{server.port}/hook", resolve=rebinding)
    assert answer.ok and answer.status == 204 and answer.duration_ms is not None
    assert calls == ["rebind.example.com"]
    assert server.hosts == [f"rebind.example.com:{server.port}"]  # the name, not the address, in Host


def test_a_public_answer_then_a_loopback_one_still_connects_to_the_public_address_only(monkeypatch):
    """With default settings the check passes on a public answer; the connection must go there, not to
    whatever a second lookup would say (127.0.0.1)."""
    dialled: list[tuple[tuple[str, ...], int]] = []

    def record(addresses, port, timeout):
        dialled.append((tuple(addresses), port))
        raise ConnectionRefusedError("recorded, not connected")

    monkeypatch.setattr(webhook_transport, "open_socket", record)
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    answer = post("https://rebind.example.com/hook", resolve=lambda host, port: next(answers), allow_internal=False)
    assert dialled == [(("93.184.215.14",), 443)]
    assert answer.status is None and answer.error == "Connection refused: nothing listens at rebind.example.com:443."


def test_https_sends_and_verifies_the_urls_host_name_while_connecting_to_the_checked_address(server_factory):
    server = server_factory(tls=True)
    trusted = ssl.create_default_context(cafile=str(TLS_CERTIFICATE))
    resolve = table(hooks_test=["127.0.0.1"], other_test=["127.0.0.1"])
    answer = post(f"https://hooks.test:{server.port}/hook", resolve=resolve, tls=trusted)
    assert answer.ok, answer.error
    assert server.server_names == ["hooks.test"] and server.hosts == [f"hooks.test:{server.port}"]
    wrong = post(f"https://other.test:{server.port}/hook", resolve=resolve, tls=trusted)
    assert wrong.status is None and server.hosts == [f"hooks.test:{server.port}"]
    assert wrong.error.startswith("The TLS certificate of other.test was not accepted: Hostname mismatch")


def test_the_answer_keeps_the_status_and_time_never_the_receivers_words(server_factory):
    server = server_factory(status=500, reason="internal secret: hunter2")
    answer = post(f"http://localhost:{server.port}/", resolve=LOCAL)
    assert (answer.status, answer.error, answer.refused) == (500, "HTTP 500: Internal Server Error", False)
    assert answer.duration_ms is not None and 0 <= answer.duration_ms < 5000
    assert "hunter2" not in repr(answer)
    odd = post(f"http://localhost:{server_factory(status=599, reason='hunter2').port}/", resolve=LOCAL)
    assert (odd.status, odd.error) == (599, "HTTP 599: an unknown status")


def test_deliver_refuses_before_sending_and_tells_a_missing_name_apart(monkeypatch):
    monkeypatch.setattr(webhook_targets, "resolve_host", DNS)
    refused = webhook_transport.deliver(
        "http://localhost:8000/", body=b"{}", headers={}, allow_internal=False, timeout=5
    )
    assert refused == webhook_transport.Answer(
        status=None, error="Refused: localhost resolves to 127.0.0.1, a loopback address.", refused=True
    )
    missing = webhook_transport.deliver(
        "https://nowhere.example.com/", body=b"{}", headers={}, allow_internal=False, timeout=5
    )
    assert missing == webhook_transport.Answer(status=None, error="Not sent: no address found for nowhere.example.com.")
