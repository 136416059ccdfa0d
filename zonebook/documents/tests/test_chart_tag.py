"""The {% chart %} tag: data in json_script, one static initialiser, no inline script."""

import json
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from zonebook.documents.charts import chart

from .conftest import XSS


def _render(spec, request=None, twice=False):
    tpl = Template("{% load charts %}{% chart spec %}" + ("{% chart spec height='200px' %}" if twice else ""))
    return tpl.render(Context({"spec": spec, "request": request}))


def test_tag_emits_escaped_data_and_the_scripts_once():
    spec = chart("bar", XSS, [XSS, "绵阳"], {XSS: [1, 2]}, unit="亿元")
    html = _render(spec, RequestFactory().get("/"), twice=True)
    assert "<img" not in html  # the markup only ever appears escaped
    assert html.count('class="zb-chart"') == 2
    assert html.count("charts.js") == 1 and html.count("echarts.min.js") == 1
    # no inline script: the only <script> elements are JSON data and external files
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert 'type="application/json"' in attrs or ("src=" in attrs and not body.strip())
    ids = re.findall(r'data-chart="([^"]+)"', html)
    data = re.search(rf'<script id="{ids[0]}" type="application/json">(.*?)</script>', html, re.S).group(1)
    spec_out = json.loads(data)
    assert spec_out["title"] == XSS and spec_out["categories"][0] == XSS and spec_out["series"][0]["name"] == XSS
    assert 'height:200px' in html and 'height:320px' in html


def test_bad_height_falls_back_and_dict_specs_work():
    html = Template("{% load charts %}{% chart spec height=h %}").render(
        Context({"spec": {"kind": "pie", "title": "占比", "categories": ["a"], "series": {"s": [1]}},
                 "h": "1px;background:url(x)"}))
    assert "url(x)" not in html and "height:320px" in html


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        _render({"kind": "radar", "title": "t", "categories": [], "series": {}})
