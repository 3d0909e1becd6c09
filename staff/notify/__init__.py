"""One delivery pipeline for everything the system sends.

``send()`` (``send_many()`` for many at once) writes one ``Notification`` and one ``Delivery`` row per
recipient and channel in the caller's transaction; the rows are handed to Celery only after commit, so a rolled-back change
sends nothing, and a broker that is down loses nothing (the sweep picks pending rows up again).
"""
from .api import Message, send, send_many

__all__ = ["Message", "send", "send_many"]
