"""The shared core every app may use, and that uses no app.

- ``errors``: the domain error family and ``ValidationFailed.from_errors`` (field errors → one error);
- ``events``: the immutable event base (``EventRecord``) every event log subclasses;
- ``services``: the plumbing services share (lock a row, bump a version, record an event, check a permission,
  the clock-skew check);
- ``api``: token authentication and scopes, the one DRF exception handler, JSON errors under ``/api/``;
- ``hooks``: the registries through which a lower app reacts to or shows things of a higher one.

Nothing else lives here: a rule of a domain belongs to its app.
"""
