from celery import shared_task

from .notify.deliver import deliver as deliver_one


@shared_task(name="staff.tasks.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    return deliver_one(delivery_id)


@shared_task(name="staff.tasks.deliver_batch", ignore_result=True)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    """Send each delivery of one hand-off; each is locked and sent on its own, so one failure stays its own."""
    outcome: dict[str, int] = {}
    for pk in delivery_ids:
        status = deliver_one(pk)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome
