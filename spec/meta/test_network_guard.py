"""The network guard refuses non-loopback connections and name lookups, and fails a test that
swallowed the refusal. Recording stubs sit under the guard, so even a broken guard sends nothing."""
from __future__ import annotations

import socket

import pytest

from fixtures.network_guard import NetworkAccessBlocked, install_guard, is_loopback
from spec.meta.inner_sessions import QUIET, use_plugins

pytestmark = pytest.mark.meta

TEST_NET = ("192.0.2.1", 9)  # RFC 5737 documentation address, discard port


@pytest.fixture
def guarded():
    """(calls that reached the stubs, attempts the guard refused); everything undone afterwards."""
    calls: list[tuple] = []

    def stub_connect(self, address):
        calls.append(("connect", address))

    def stub_connect_ex(self, address):
        calls.append(("connect_ex", address))
        return 0

    def stub_getaddrinfo(host, *args, **kwargs):
        calls.append(("getaddrinfo", host))
        return []

    def stub_gethostbyname(host):
        calls.append(("gethostbyname", host))
        return "192.0.2.1"

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", stub_connect)
        mp.setattr(socket.socket, "connect_ex", stub_connect_ex)
        mp.setattr(socket, "getaddrinfo", stub_getaddrinfo)
        mp.setattr(socket, "gethostbyname", stub_gethostbyname)
        attempts = install_guard(mp)
        yield calls, attempts


@pytest.fixture
def tcp():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    yield sock
    sock.close()


def test_a_connect_to_a_public_address_is_refused(guarded, tcp):
    calls, attempts = guarded
    with pytest.raises(NetworkAccessBlocked, match="network guard") as excinfo:
        tcp.connect(TEST_NET)
    assert "192.0.2.1" in str(excinfo.value)
    assert isinstance(excinfo.value, OSError)  # code that handles network errors sees one
    assert calls == []
    assert len(attempts) == 1 and "192.0.2.1" in attempts[0]


def test_connect_ex_to_a_public_address_is_refused(guarded, tcp):
    calls, attempts = guarded
    with pytest.raises(NetworkAccessBlocked, match="network guard"):
        tcp.connect_ex(TEST_NET)
    assert calls == [] and len(attempts) == 1


def test_a_name_lookup_is_refused(guarded):
    calls, attempts = guarded
    with pytest.raises(NetworkAccessBlocked, match="network guard"):
        socket.getaddrinfo("example.invalid", 80)
    assert calls == []
    assert attempts == ["name lookup of 'example.invalid'"]


def test_loopback_traffic_passes_through(guarded, tcp):
    calls, attempts = guarded
    tcp.connect(("127.0.0.1", 9))
    assert tcp.connect_ex(("127.0.0.1", 9)) == 0
    socket.getaddrinfo("localhost", 80)
    socket.getaddrinfo(None, 80)
    assert calls == [
        ("connect", ("127.0.0.1", 9)),
        ("connect_ex", ("127.0.0.1", 9)),
        ("getaddrinfo", "localhost"),
        ("getaddrinfo", None),
    ]
    assert attempts == []


def test_ipv6_loopback_passes_and_public_ipv6_is_refused(guarded):
    calls, attempts = guarded
    if not socket.has_ipv6:
        pytest.skip("no IPv6 sockets on this machine")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.connect(("::1", 9, 0, 0))
        with pytest.raises(NetworkAccessBlocked):
            sock.connect(("2001:db8::1", 9, 0, 0))
    assert calls == [("connect", ("::1", 9, 0, 0))]
    assert len(attempts) == 1


def test_unix_sockets_are_local(guarded, tmp_path):
    calls, attempts = guarded
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no AF_UNIX sockets on this platform")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(tmp_path / "sock"))
    assert calls == [("connect", str(tmp_path / "sock"))]
    assert attempts == []


def test_gethostbyname_is_refused(guarded):
    calls, attempts = guarded
    try:
        socket.gethostbyname("example.invalid")
    except NetworkAccessBlocked:
        pass
    assert calls == []
    assert attempts


@pytest.mark.parametrize(
    "host, expected",
    [
        ("127.0.0.1", True),
        ("127.0.0.5", True),
        ("::1", True),
        ("::1%lo", True),
        ("localhost", True),
        ("LOCALHOST", True),
        (b"localhost", True),
        ("", True),
        (None, True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("::ffff:8.8.8.8", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


SWALLOWS_THE_REFUSAL = """
import socket


def test_swallows():
    try:
        socket.getaddrinfo("example.invalid", 80)
    except OSError:
        pass
"""

MARKED_NETWORK = """
import pytest


@pytest.mark.network
def test_needs_internet():
    raise AssertionError("must not run without --allow-network")
"""


def test_a_swallowed_refusal_still_fails_the_test(pytester: pytest.Pytester):
    use_plugins(pytester, "fixtures.network_guard")
    pytester.makepyfile(test_swallows=SWALLOWS_THE_REFUSAL)
    result = pytester.runpytest_inprocess(*QUIET)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, errors=1)  # the call passes, the guard fails it at teardown
    text = result.stdout.str()
    assert "network guard" in text
    assert "example.invalid" in text


def test_network_tests_are_skipped_without_allow_network(pytester: pytest.Pytester):
    use_plugins(pytester, "fixtures.network_guard")
    pytester.makepyfile(test_marked=MARKED_NETWORK)
    result = pytester.runpytest_inprocess(*QUIET, "-rs")
    result.assert_outcomes(skipped=1)
    assert "--allow-network" in result.stdout.str()
