from celery import shared_task

from .notify.deliver import deliver as deliver_one


@shared_task(name="staff.tasks.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    return deliver_one(delivery_id)
