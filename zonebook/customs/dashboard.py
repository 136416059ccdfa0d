"""To-do counter: receipts waiting for their list or held by the ledger."""

from .models import Receipt, ReceiptState


def queue_count(user) -> int:
    return Receipt.objects.for_user(user).exclude(state=ReceiptState.APPLIED).count()
