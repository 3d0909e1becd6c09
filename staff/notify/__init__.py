"""One delivery pipeline for everything the system sends.

``send()`` writes one ``Notification`` and one ``Delivery`` row per recipient and channel in the
caller's transaction; the rows are handed to Celery only after commit, so a rolled-back change
sends nothing, and a broker that is down loses nothing (the sweep picks pending rows up again).
"""
from .api import send

__all__ = ["send"]
