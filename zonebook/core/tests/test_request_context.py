"""Audit provenance: request ids and client addresses are believed only from a trusted proxy."""

import importlib.util
from pathlib import Path

import pytest
from django.test import RequestFactory

from zonebook.audit.models import AuditEntry
from zonebook.core.middleware import client_ip, request_id_for

PROXY = "10.0.0.5"


def _request(remote="203.0.113.9", **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_client_request_id_is_not_believed_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    rid = request_id_for(_request(HTTP_X_REQUEST_ID="forged-id-12345"))
    assert rid != "forged-id-12345" and len(rid) >= 16


def test_request_id_of_a_trusted_proxy_is_kept_when_well_formed(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    nginx_id = "0123456789abcdef0123456789abcdef"
    assert request_id_for(_request(PROXY, HTTP_X_REQUEST_ID=nginx_id)) == nginx_id
    # an untrusted peer with the same header, or a malformed id from the proxy: a new id
    assert request_id_for(_request("10.0.1.5", HTTP_X_REQUEST_ID=nginx_id)) != nginx_id
    for bad in ("a b c d e f g h", "x" * 40, "<script>alert(1)", "short"):
        assert request_id_for(_request(PROXY, HTTP_X_REQUEST_ID=bad)) != bad


def test_forwarded_for_is_used_only_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request(HTTP_X_FORWARDED_FOR="1.2.3.4")) == "203.0.113.9"
    settings.TRUSTED_PROXIES = [PROXY]
    assert client_ip(_request(PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")) == "198.51.100.7"
    # a client-written hop left of the proxy's is ignored: the right-most untrusted hop counts
    assert client_ip(_request(PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    # chained trusted proxies are skipped
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request(PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7, 10.1.1.1")) == "198.51.100.7"
    assert client_ip(_request(PROXY, HTTP_X_FORWARDED_FOR="garbage")) == PROXY
    assert client_ip(_request(PROXY)) == PROXY


def test_audit_entries_of_two_requests_never_share_a_forged_id(world, client_for, settings):
    settings.TRUSTED_PROXIES = []
    c = client_for(world.users.admin)
    url = f"/api/registry/enterprises/{world.enterprises.a1.pk}/"
    for address in ("一号", "二号"):
        r = c.patch(url, {"address": address}, content_type="application/json", HTTP_X_REQUEST_ID="shared-id-000001",
                    HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="203.0.113.9")
        assert r.status_code == 200, r.content
    entries = list(AuditEntry.objects.filter(code="registry.enterprise.updated").order_by("id"))
    assert len(entries) == 2
    assert entries[0].request_id != entries[1].request_id
    assert "shared-id-000001" not in {e.request_id for e in entries}
    assert {e.ip for e in entries} == {"203.0.113.9"}
    assert {e.source for e in entries} == {"api"}


def test_behind_the_trusted_proxy_the_audit_log_keeps_its_id_and_the_client_address(world, client_for, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    c = client_for(world.users.admin)
    r = c.patch(
        f"/api/registry/enterprises/{world.enterprises.a1.pk}/",
        {"address": "三号"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        REMOTE_ADDR="127.0.0.1",
    )
    assert r.status_code == 200 and r["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    entry = AuditEntry.objects.get(code="registry.enterprise.updated")
    assert (entry.request_id, entry.ip) == ("0123456789abcdef0123456789abcdef", "198.51.100.7")


def _load_settings(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    path = Path(__file__).resolve().parents[2] / "settings.py"
    spec = importlib.util.spec_from_file_location("zonebook_settings_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_trusted_proxies_come_from_the_environment(monkeypatch):
    assert _load_settings(monkeypatch, "127.0.0.1, 10.0.0.0/8").TRUSTED_PROXIES == ["127.0.0.1", "10.0.0.0/8"]
    assert _load_settings(monkeypatch, "").TRUSTED_PROXIES == []
    with pytest.raises(ValueError):
        _load_settings(monkeypatch, "10.0.0.300")
