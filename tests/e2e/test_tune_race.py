"""Workers started at the same moment on a new study: each creates the study's tables and row, or
loads them when another was first; none dies of the race (`table studies already exists`).
PostgreSQL's case is in e2e/test_tune_postgres.py."""

from __future__ import annotations

import pytest

from helpers.tune_race import start_together


@pytest.mark.parametrize("attempt", range(3))  # a race: a few goes, each new
def test_workers_starting_together_on_a_new_sqlite_study_all_open_it(tmp_path, attempt):
    assert start_together(tmp_path, None) == []
    import optuna

    url = f"sqlite:///{tmp_path / 'runs' / 'race' / 'study.db'}"
    assert [s.study_name for s in optuna.get_all_study_summaries(url)] == ["race"]
