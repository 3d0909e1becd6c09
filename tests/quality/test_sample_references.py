"""R-QUAL-SERIES: a sample always names a stored circuit and indicator (checked per statement on PostgreSQL)."""
from datetime import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from quality.models import Indicator, Sample
from tests import factories as f

AT = datetime.fromisoformat("2026-11-30T10:00:00+08:00")


def _insert(circuit_ids, indicator_id):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO quality_sample (circuit_id, indicator_id, at, value) "
                       "SELECT c, %s, %s, 1.0 FROM unnest(%s::bigint[]) AS c", [indicator_id, AT, circuit_ids])


@pytest.mark.django_db
def test_a_statement_naming_a_missing_circuit_or_indicator_is_refused_whole():
    """One missing circuit among good ones refuses the whole statement; so does a missing indicator."""
    good = [f.CircuitFactory().pk for _ in range(3)]
    indicator = Indicator.objects.get(code="latency_ms")
    with pytest.raises(IntegrityError, match="circuit that does not exist"), transaction.atomic():
        _insert([*good, max(good) + 1000], indicator.pk)
    with pytest.raises(IntegrityError, match="indicator that does not exist"), transaction.atomic():
        _insert(good, indicator.pk + 1000)
    assert Sample.objects.count() == 0
    _insert(good, indicator.pk)
    assert Sample.objects.count() == 3


@pytest.mark.django_db
def test_a_sampled_circuit_or_indicator_is_not_deleted_behind_the_models_back():
    """A raw delete of a circuit or an indicator that samples name is refused; the model's delete of a circuit
    removes its samples first (CASCADE), an indicator with samples is protected."""
    from django.db.models import ProtectedError

    circuit, other = f.CircuitFactory(), f.CircuitFactory()
    indicator = Indicator.objects.get(code="latency_ms")
    _insert([circuit.pk, other.pk], indicator.pk)
    with pytest.raises(IntegrityError, match="samples still refer to it"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM tickets_circuit WHERE id = %s", [circuit.pk])
    with pytest.raises(IntegrityError, match="samples still refer to it"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM quality_indicator WHERE id = %s", [indicator.pk])
    with pytest.raises(ProtectedError):
        indicator.delete()
    circuit.delete()
    assert list(Sample.objects.values_list("circuit_id", flat=True)) == [other.pk]


@pytest.mark.django_db(transaction=True)
def test_truncating_the_circuits_empties_the_samples_as_a_cascade_would():
    """``TRUNCATE`` (the load generator's reset, the test flush) of the circuits leaves no sample behind."""
    circuit = f.CircuitFactory()
    _insert([circuit.pk], Indicator.objects.get(code="latency_ms").pk)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets_circuit CASCADE")
    assert Sample.objects.count() == 0
