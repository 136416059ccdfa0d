"""Walks the whole URL conf so every route, present and future, is checked for scope leaks.

* Every route that takes an object id must declare its scoped model (``scoped_object`` decorator,
  ``view_class.model``/``queryset`` or a viewset queryset); ids outside the user's scope give 404 for
  every method.
* Every list route, rendered as a user of Sichuan, never shows the Chongqing zone or enterprise,
  neither in the page (including filter choices) nor in its csv export.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from zonebook.core.testing import scope_samples

SKIP_PREFIXES = ("admin/", "static/", "media/", "i18n/", "jsi18n/", "healthz", "api/schema", "api/docs",
                 "accounts/login", "accounts/logout", "accounts/password")
ID_KWARGS = {"pk", "id", "object_id", "job_id", "book_id", "list_id", "item_id"}
OUT_OF_SCOPE_NAMES = ("重庆戊电脑有限公司", "重庆西永综合保税区")


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route, p


def _routes():
    seen = set()
    for route, p in _walk(get_resolver().url_patterns):
        clean = route.lstrip("^")
        if clean.startswith(SKIP_PREFIXES) or "format" in p.pattern.regex.groupindex:
            continue
        if clean in seen:
            continue
        seen.add(clean)
        yield clean, p


def _kwargs(p: URLPattern) -> list[str]:
    return list(p.pattern.regex.groupindex)


def _model_of(callback):
    for attr in ("scoped_model",):
        if getattr(callback, attr, None) is not None:
            return getattr(callback, attr)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        if getattr(view_class, "scoped_model", None) is not None:
            return view_class.scoped_model
        if getattr(view_class, "model", None) is not None:
            return view_class.model
        qs = getattr(view_class, "queryset", None)
        if qs is not None:
            return qs.model
    return None


def _fill(route: str, values: dict) -> str:
    """Turn a route (Django path syntax or regex) into a URL with the given kwargs."""

    def sub(m):
        name = m.group("name")
        return str(values[name])

    # Regex groups first: their "(?P<name>" would otherwise look like a path converter "<name>".
    url = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", sub, route)
    url = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", sub, url)
    url = url.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\Z", "")
    return "/" + url


def _id_routes():
    out = []
    for route, p in _routes():
        kw = _kwargs(p)
        if any(k in ID_KWARGS for k in kw):
            out.append((route, p))
    return out


def _list_routes():
    return [(r, p) for r, p in _routes() if not _kwargs(p)]


@pytest.mark.django_db
def test_every_id_route_declares_its_scoped_model():
    missing = [route for route, p in _id_routes() if _model_of(p.callback) is None]
    assert not missing, f"routes taking an id without a declared scoped model: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["zone", "enterprise", "city"])
def test_out_of_scope_ids_are_404_on_every_route(world, client, who):
    scope_samples.load_app_samples()
    user = getattr(world.users, who)
    client.force_login(user)
    failures = []
    checked = 0
    for route, p in _id_routes():
        model = _model_of(p.callback)
        label = model._meta.label_lower
        sample = scope_samples.SAMPLES.get(label)
        assert sample is not None, f"no out-of-scope sample registered for {label} (route {route})"
        obj = sample(world)
        assert not model.objects.for_user(user).filter(pk=obj.pk).exists(), f"sample for {label} is in scope"
        values = {k: obj.pk for k in _kwargs(p)}
        url = _fill(route, values)
        for method in ("get", "post"):
            r = getattr(client, method)(url, HTTP_ACCEPT="text/html")
            checked += 1
            if r.status_code not in (404, 405):
                failures.append(f"{method.upper()} {url} -> {r.status_code}")
        if route.startswith("api/"):
            for method in ("put", "patch", "delete"):
                r = getattr(client, method)(url, data={}, content_type="application/json")
                if r.status_code not in (404, 405):
                    failures.append(f"{method.upper()} {url} -> {r.status_code}")
    assert not failures, failures
    assert checked >= 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["zone", "enterprise", "province", "customs"])
def test_list_routes_never_show_other_scopes(world, client, who):
    client.force_login(getattr(world.users, who))
    leaks = []
    for route, _p in _list_routes():
        url = _fill(route, {})
        r = client.get(url, HTTP_ACCEPT="text/html")
        if r.status_code >= 500:
            leaks.append(f"{url} -> {r.status_code}")
            continue
        body = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
        text = body.decode("utf-8", "replace")
        for name in OUT_OF_SCOPE_NAMES:
            if name in text:
                leaks.append(f"{url} shows {name}")
        # the same list exported
        if r.status_code == 200 and r.get("Content-Type", "").startswith("text/html") and "?export=" in text:
            e = client.get(url, {"export": "csv"})
            if e.status_code == 200:
                ebody = b"".join(e.streaming_content) if getattr(e, "streaming", False) else e.content
                for name in OUT_OF_SCOPE_NAMES:
                    if name in ebody.decode("utf-8-sig", "replace"):
                        leaks.append(f"{url}?export=csv shows {name}")
    assert not leaks, leaks


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    open_routes = []
    for route, _p in _list_routes():
        url = _fill(route, {})
        r = client.get(url)
        if r.status_code == 200:
            open_routes.append(url)
    assert not open_routes, f"routes readable without login: {open_routes}"
