from zonebook.core.testing.scope_samples import register


@register("notify.notification")
def _notification(world):
    """Another user's notification (personal: nobody else may read or mark it)."""
    from zonebook.notify.models import Notification

    return Notification.objects.get_or_create(
        recipient=world.users.other_enterprise, dedupe_key="sample", defaults={"kind": "test.sample", "params": {}}
    )[0]
