"""The SSRF guard refuses every non-public address form, and allows loopback only in local mode."""

from __future__ import annotations

import pytest

from knowrithm_core.net.url_safety import UnsafeUrl, check_url, system_resolver

UNSAFE_HOSTS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "localhost",
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.0.1",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.10",
    "198.18.0.1",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[ff02::1]",
    "[2002:7f00:1::]",
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
    "[64:ff9b::a9fe:a9fe]",
    "[2001:db8::1]",
    # deprecated and IPv4-embedding IPv6 forms (issue 10)
    "[::127.0.0.1]",
    "[::7f00:1]",
    "[::10.0.0.1]",
    "[::8.8.8.8]",
    "[::ffff:10.0.0.1]",
    "[::ffff:0:127.0.0.1]",
    "[::ffff:0:169.254.169.254]",
    "[::ffff:0:8.8.8.8]",
    "[64:ff9b::127.0.0.1]",
    "[64:ff9b::10.0.0.1]",
    "[64:ff9b:1::7f00:1]",
    "[64:ff9b:1:ffff::808:808]",
    "[2002:a00:1::1]",
    "[2002:a9fe:a9fe::]",
    "[2002:c0a8:101::1]",
    "[2001::1]",
    "[2001:0:5ef5:79fb:0:59d:a0e5:ba1]",
    "[fec0::1]",
    "[feff::1]",
    "[fe80::1%25eth0]",
    "[100::1]",
    "[2001:10::1]",
    "[2001:20::1]",
    "[3fff::1]",
    "[5f00::1]",
    "[::ffff:192.88.99.1]",
    "192.88.99.1",
    "[2001:4:112::1]",
]


@pytest.mark.parametrize("host", UNSAFE_HOSTS)
def test_non_public_addresses_are_refused(host: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(f"https://{host}/hook")


@pytest.mark.parametrize(
    "host", ["[2606:4700:4700::1111]", "[::ffff:93.184.216.34]", "[64:ff9b::5db8:d822]", "[2002:5db8:d822::1]"]
)
def test_public_ipv6_and_public_embedded_ipv4_are_allowed(host: str) -> None:
    # GIVEN a global IPv6 address, or a checked embedding form whose IPv4 is public
    # THEN the guard accepts it (the refusals above are not a blanket IPv6 ban)
    assert check_url(f"https://{host}/hook").addresses


def test_a_public_name_is_checked_on_what_it_resolves_to() -> None:
    # GIVEN a name that resolves to a public and a private address (a rebinding-style answer)
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    # THEN the whole URL is refused
    with pytest.raises(UnsafeUrl, match="10.1.2.3"):
        check_url("https://hooks.example.com/in", resolver=resolver)
    target = check_url("https://hooks.example.com:8443/in", resolver=lambda h, p: ["93.184.216.34"])
    assert target.addresses == ("93.184.216.34",) and target.port == 8443 and target.host == "hooks.example.com"


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/x",
        "ftp://93.184.216.34/",
        "https://user:pw@93.184.216.34/",
        "https:///nohost",
        "not a url",
        "https://[::1",
    ],
)
def test_bad_schemes_credentials_and_shapes_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url)


def test_local_mode_allows_loopback_over_http_but_nothing_else_private() -> None:
    assert check_url("http://127.0.0.1:9000/hook", local_mode=True).addresses == ("127.0.0.1",)
    with pytest.raises(UnsafeUrl):
        check_url("http://10.0.0.1/hook", local_mode=True)
    with pytest.raises(UnsafeUrl):
        check_url("http://169.254.169.254/latest/meta-data", local_mode=True)


def test_unresolvable_hosts_are_refused() -> None:
    with pytest.raises(UnsafeUrl):
        system_resolver("no-such-host.invalid", 443)
