"""Celery tasks: thin wrappers that take ids, and the periodic sweeper and reminders."""

from __future__ import annotations

from celery import shared_task

from notifications import dispatch, reminders


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver(delivery_ids: list[int]) -> int:
    """Send these deliveries if they are still due, and other due ones up to a batch
    (idempotent: claiming is compare-and-set)."""
    return dispatch.deliver(delivery_ids, fill=True)


@shared_task
def sweep_deliveries() -> int:
    return dispatch.sweep()


@shared_task
def send_reminders() -> int:
    return reminders.send_due_reminders()
