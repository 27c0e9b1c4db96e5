"""Glue between the pipeline's errors and Airflow's retry semantics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fail_fast_on() -> Iterator[None]:
    """Errors that a retry cannot fix (refused credentials, a refused request, bad data, an
    exhausted quota, failed models) fail the task at once instead of burning the retries; anything
    else is left to Airflow's retries."""
    from airflow.sdk.exceptions import AirflowFailException

    from social_roi.errors import (
        SchemaViolation,
        SocialRoiError,
        SourceAuthError,
        SourceError,
        SourceQuotaExhausted,
        SourceRequestRefused,
    )

    try:
        yield
    except (SourceAuthError, SchemaViolation, SourceQuotaExhausted, SourceRequestRefused) as exc:
        raise AirflowFailException(str(exc)) from exc
    except SourceError:
        raise  # transient API trouble: Airflow retries the task
    except SocialRoiError as exc:  # gate failures, dbt failures
        raise AirflowFailException(str(exc)) from exc
