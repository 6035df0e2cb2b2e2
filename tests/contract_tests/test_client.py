"""The HTTP layer: records everything, follows no redirect unless asked, caps bodies, never raises."""

from __future__ import annotations

import httpx

from contract_tests.client import HttpClient


def client_for(handler: httpx.MockTransport, max_body: int = 1 << 20) -> HttpClient:
    return HttpClient(transport=handler, max_body=max_body)


def test_redirects_are_not_followed_unless_asked() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "/b"})
        return httpx.Response(200, text="done")

    with client_for(httpx.MockTransport(handler)) as client:
        first = client.request("GET", "http://t/a")
        assert (first.status, first.headers["location"]) == (302, "/b")
        followed = client.request("GET", "http://t/a", follow_redirects=2)
        assert (followed.status, followed.body) == (200, b"done")
        assert [e.url for e in client.exchanges] == ["http://t/a", "http://t/a", "http://t/b"]


def test_a_redirect_loop_is_recorded_not_raised() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(302, headers={"Location": r.url.path}))
    with client_for(transport) as client:
        exchange = client.request("GET", "http://t/loop", follow_redirects=3)
    assert exchange.error is not None
    assert "more than 3 redirects" in exchange.error


def test_huge_bodies_are_cut_at_the_cap() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 5000))
    with client_for(transport, max_body=1000) as client:
        exchange = client.request("GET", "http://t/")
    assert exchange.truncated
    assert len(exchange.body) == 1000
    assert exchange.data is None
    assert not exchange.is_json


def test_html_is_not_json_and_json_is() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/html":
            return httpx.Response(200, html="<html>hi</html>")
        return httpx.Response(200, json={"a": [1]})

    with client_for(httpx.MockTransport(handler)) as client:
        html = client.request("GET", "http://t/html")
        data = client.request("GET", "http://t/json")
    assert html.data is None
    assert html.media_type == "text/html"
    assert data.data == {"a": [1]}
    assert "HTTP 200 text/html" in html.describe()


def test_transport_errors_are_recorded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    with client_for(httpx.MockTransport(handler)) as client:
        exchange = client.request("GET", "http://t/")
    assert exchange.status == 0
    assert exchange.error == "ReadError: connection reset by peer"
    assert exchange.describe() == "no response (ReadError: connection reset by peer)"


def test_a_refused_connection_is_recorded() -> None:
    with HttpClient(timeout=2) as client:
        exchange = client.request("GET", "http://127.0.0.1:9/")
    assert exchange.status == 0
    assert exchange.error


def test_requests_carry_json_and_the_operation() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    with client_for(httpx.MockTransport(handler)) as client:
        exchange = client.request("POST", "http://t/x", json_body={"k": "v"}, operation="createX")
    assert seen[0].headers["content-type"] == "application/json"
    assert exchange.operation == "createX"
    assert exchange.request_body == b'{"k": "v"}'
    assert '--data-raw \'{"k": "v"}\'' in exchange.curl
