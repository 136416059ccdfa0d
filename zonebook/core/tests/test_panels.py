"""core.panels: apps add panels to another app's page without an import against the layering."""

from django.template import Context, Template
from django.test import RequestFactory

from zonebook.core import panels


def test_panels_render_in_order_with_their_context(settings, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.html").write_text("A{{ x }}{{ object }}")
    (tmp_path / "p" / "b.html").write_text("B")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    request = RequestFactory().get("/")
    try:
        panels.register("test.page", panels.Panel(key="b", template="p/b.html", order=20))
        panels.register(
            "test.page", panels.Panel(key="a", template="p/a.html", order=10, context=lambda r, o: {"x": 1})
        )
        panels.register(
            "test.page", panels.Panel(key="hidden", template="p/b.html", visible=lambda r, o: False)
        )
        html = Template('{% load core_tags %}[{% render_panels "test.page" obj %}]').render(
            Context({"request": request, "obj": "o"})
        )
        assert html == "[A1oB]"
        assert (
            Template('{% load core_tags %}[{% render_panels "none" %}]').render(Context({"request": request}))
            == "[]"
        )
    finally:
        for key in ("a", "b", "hidden"):
            panels.unregister("test.page", key)
