"""Test-only URLs: the project's URLs plus one page with a chart whose labels are HTML."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from zonebook.documents.charts import chart
from zonebook.urls import urlpatterns as project_urls

XSS = "<img src=x onerror=alert(1)>"
PAGE = """{% load charts static %}<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>charts</title></head>
<body><h1>图表</h1>{% for spec in specs %}<div style="width:720px">{% chart spec height="360px" %}</div>{% endfor %}</body></html>"""


def chart_page(request):
    specs = [
        chart("bar", f"标题{XSS}", [XSS, "绵阳综保区"], {XSS: [12, 7], "上年": [10, 8]}, unit="亿元"),
        chart("pie", "构成", [XSS, "其他"], {XSS: [3, 1]}),
    ]
    return HttpResponse(engines["django"].from_string(PAGE).render({"specs": specs}, request))


urlpatterns = [path("test-charts/", chart_page)] + list(project_urls)
