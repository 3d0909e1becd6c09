"""The shape every event log shares: an immutable fact (who, when, from, to, note)."""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _refuse(model) -> PermissionDenied:
    return PermissionDenied(f"{model._meta.model_name} rows are immutable")


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise _refuse(self.model)

    def delete(self):
        raise _refuse(self.model)


class EventRecord(models.Model):
    """Abstract: subclasses add the foreign key to what the event is about and their ``kind`` choices.

    Saving an existing row, deleting, and queryset update/delete all refuse.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("操作者"), max_length=128)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise _refuse(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _refuse(type(self))


def immutable_rows_operation(*, table: str, name: str, noun: str):
    """A migration operation that makes ``table`` refuse UPDATE and DELETE on PostgreSQL (the database's half of
    the immutable event log; the model refuses in Python). ``name`` prefixes the function and trigger."""
    from .schema import postgresql_only

    guard_sql = f"""
CREATE OR REPLACE FUNCTION {name}_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{noun} are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {name}_no_update_delete
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {name}_immutable();
"""
    unguard_sql = f"""
DROP TRIGGER IF EXISTS {name}_no_update_delete ON {table};
DROP FUNCTION IF EXISTS {name}_immutable();
"""

    return postgresql_only(guard_sql, unguard_sql)
