"""The verbs of the quality domain (writes). Views, API, tasks and commands call these."""
from .dial import DialTestRefused, ProberNotConfigured, run_dial_test, run_scheduled_dial_tests
from .evaluate import EvaluationSummary, evaluate
from .ingest import IngestOutcome, ingest_samples
from .retention import apply_retention
from .rollup import roll_up

__all__ = [
    "DialTestRefused", "EvaluationSummary", "IngestOutcome", "ProberNotConfigured", "apply_retention", "evaluate",
    "ingest_samples", "roll_up", "run_dial_test", "run_scheduled_dial_tests",
]
