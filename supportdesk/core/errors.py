"""The small family of domain errors; the API and the views turn them into 409 / 400 / 403 / 404.

Services raise only these (never ``ValueError``/``RuntimeError`` for a caller's mistake). Bad input is
collected as ``{field: [message, ...]}`` and turned into one ``ValidationFailed`` by
``ValidationFailed.from_errors`` (or ``raise_field_errors``), which names the first wrong field.

Two texts per error: ``message`` is the precise, stable English text for logs and the API's ``detail``;
``human()`` is what people read in the pages, in their language, naming things as people do (the state's
and room's display names, the field's label). ``code`` is stable: the API returns it next to the message,
and ``MESSAGES`` maps it to the translatable sentence (filled with ``params``). Apps add their sentences
and field labels with ``register_messages`` / ``register_field_labels`` when they load.
"""
from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# code → translatable sentence with %(name)s params; the family's own codes are the fallbacks.
MESSAGES: dict[str, object] = {
    "error": _("操作未能完成，请重试。"),
    "invalid": _("请检查填写的内容。"),
    "invalid_field": _("「%(field)s」填写有误，请检查。"),
    "required": _("请填写「%(field)s」。"),
    "too_long": _("「%(field)s」太长了，最多 %(max)s 个字。"),
    "bad_choice": _("「%(field)s」的选项无效，请重新选择。"),
    "in_future": _("「%(field)s」不能晚于现在。"),
    "permission_denied": _("您没有执行此操作的权限。"),
    "not_found": _("要找的记录不存在，可能已被删除。"),
    "transition_not_allowed": _("当前状态下不能执行此操作。"),
    "conflict": _("记录已被他人修改，请查看最新内容后重试。"),
}
# field key (services' and API's) → translatable label, for fields no form on the page names.
FIELD_LABELS: dict[str, object] = {}


def register_messages(messages: dict[str, object]) -> None:
    MESSAGES.update(messages)


def register_field_labels(labels: dict[str, object]) -> None:
    FIELD_LABELS.update(labels)


class DomainError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None, code: str = "",
                 params: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        if code:
            self.code = code
        self.params = dict(params or {})

    def human(self, labels: dict[str, str] | None = None) -> str:
        """The sentence people read, in the active language. ``labels`` (field key → label, e.g. from the
        page's form) win over the registered ``FIELD_LABELS``."""
        params = {k: str(v) for k, v in self.params.items()}
        field = next(iter(self.field_errors), "")
        if field:
            params.setdefault("field", label_for(field, labels))
        for code in (self.code, "invalid_field" if field else "", type(self).code, "error"):
            template = MESSAGES.get(code) if code else None
            if template is None:
                continue
            try:
                return str(template) % params
            except (KeyError, ValueError, TypeError):
                continue
        return gettext("操作未能完成，请重试。")


def label_for(field: str, labels: dict[str, str] | None = None) -> str:
    if labels and field in labels:
        return str(labels[field])
    if field in FIELD_LABELS:
        return str(FIELD_LABELS[field])
    return gettext("填写的内容")


class ValidationFailed(DomainError):
    """Bad input: names what is wrong; nothing was changed."""

    status_code = 400
    code = "invalid"

    @classmethod
    def of(cls, field: str, message: str, *, code: str = "", params: dict | None = None) -> ValidationFailed:
        return cls(f"{field}: {message}", field_errors={field: [message]}, code=code, params=params)

    @classmethod
    def from_errors(cls, errors: dict[str, list[str]], *, codes: dict[str, tuple[str, dict]] | None = None
                    ) -> ValidationFailed:
        """One error for all the wrong fields; its message names the first. ``codes``: field → (code, params)
        of each field's first error, for the people's sentence."""
        first = next(iter(errors))
        code, params = (codes or {}).get(first, ("", {}))
        err = cls(f"{first}: {errors[first][0]}", field_errors=errors, code=code, params=params)
        err.field_codes = dict(codes or {})
        return err

    def human_for_field(self, field: str, labels: dict[str, str] | None = None) -> str:
        """The sentence for one wrong field (shown next to it)."""
        code, params = getattr(self, "field_codes", {}).get(field, ("", {}))
        if field == next(iter(self.field_errors), "") and not code:
            code, params = self.code, self.params
        one = ValidationFailed("", field_errors={field: self.field_errors.get(field, [])},
                               code=code or "invalid_field", params=params)
        return one.human(labels)


def raise_field_errors(errors: dict[str, list[str]], codes: dict[str, tuple[str, dict]] | None = None) -> None:
    """Raise ``ValidationFailed`` if any field has an error; do nothing otherwise."""
    if errors:
        raise ValidationFailed.from_errors(errors, codes=codes)


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class TransitionNotAllowed(DomainError):
    """The transition does not start from the object's current state."""

    status_code = 409
    code = "transition_not_allowed"


class Conflict(DomainError):
    """The object changed under the caller (stale version, concurrent transition)."""

    status_code = 409
    code = "conflict"
