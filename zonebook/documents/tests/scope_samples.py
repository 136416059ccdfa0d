"""Out-of-scope samples for the URL-walking scope test: templates are visible to reference-data
maintainers only (system administrators, the province)."""

from zonebook.core.testing.scope_samples import register


@register("documents.documenttemplate")
def _template(world):
    from zonebook.documents.models import DocumentTemplate

    return DocumentTemplate.objects.get_or_create(kind="scope-sample", defaults={"name": "样例模板"})[0]
