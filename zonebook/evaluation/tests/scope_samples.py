"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: evaluation results."""

from zonebook.core.testing.scope_samples import register


@register("evaluation.entityresult")
def _result(world):
    from zonebook.evaluation.models import EntityResult, EvaluationRun, SchemeVersion
    from zonebook.stats.tests.scope_samples import _entity_c1

    entity = _entity_c1(world)
    version = SchemeVersion.objects.order_by("pk").first()
    run, _ = EvaluationRun.objects.get_or_create(
        code="scope-sample", defaults=dict(name="sample", version=version, exercise_year=2025, data_year=2025,
                                           inputs={}, inputs_hash="0"))
    return EntityResult.objects.get_or_create(run=run, entity=entity, defaults=dict(base_score=0, total=0))[0]
