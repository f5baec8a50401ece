"""The study's storage: engine options per database, a missing driver in one line without the password,
the advisory lock on PostgreSQL only, and creating a study tried again after a lost race only."""

from __future__ import annotations

import pytest

from conftest import TINY, write_config
from dlkit.config import load_config
from dlkit.tuning.study import open_folder, open_study


def test_a_server_error_is_not_taken_for_a_race(tmp_path):
    """Only a lost race is tried again: a storage that cannot work fails at once, in one line."""
    config = load_config(write_config(tmp_path, {**TINY, "tune": {"metric": "val_accuracy", "space": {
        "data.batch_size": {"type": "categorical", "choices": [32, 64]}}}}))  # fmt: skip
    (tmp_path / "not-a-folder").write_text("")
    folder = open_folder(config, tmp_path / "runs", study="s", storage=f"sqlite:///{tmp_path}/not-a-folder/x.db",
                         new=False)  # fmt: skip
    from dlkit.core.errors import UsageError

    with pytest.raises(UsageError, match="cannot open the study: .*unable to open database file"):
        open_study(folder, config)


SEARCH = {
    **TINY,
    "tune": {"metric": "val_accuracy", "space": {"data.batch_size": {"type": "categorical", "choices": [32, 64]}}},
}


def test_engine_options_by_database():
    from dlkit.tuning.storage import CONNECT_TIMEOUT, engine_kwargs

    assert engine_kwargs("sqlite:////tmp/study.db") == {"connect_args": {"timeout": 60}}
    assert engine_kwargs("postgresql://me@db.example/studies") == {
        "connect_args": {"connect_timeout": CONNECT_TIMEOUT},
        "pool_pre_ping": True,
    }
    assert engine_kwargs("postgresql+psycopg://me@db/s?connect_timeout=3")["connect_args"] == {}
    assert engine_kwargs("mysql://me@db/s") == {}


def test_a_missing_driver_is_one_line_without_the_password():
    from dlkit.core.errors import UsageError
    from dlkit.tuning.storage import check_driver, shown_url

    assert shown_url("postgresql://me:pa:ss@db.example:5432/s") == "postgresql://me:***@db.example:5432/s"
    assert shown_url("sqlite:////tmp/study.db") == "sqlite:////tmp/study.db"
    with pytest.raises(UsageError) as refused:
        check_driver("postgresql+nosuchdriver://me:secret@db/s")
    assert str(refused.value) == (
        "--storage postgresql+nosuchdriver://me:***@db/s: the PostgreSQL driver nosuchdriver is not installed; "
        "pip install nosuchdriver"
    )
    check_driver("postgresql://me@db/s")  # psycopg, the extra's driver, is installed with dlkit[dev]


def test_only_postgresql_takes_the_advisory_lock(monkeypatch):
    from dlkit.tuning import storage

    def no_engine(url):
        raise AssertionError(f"an engine for {url}")

    monkeypatch.setattr(storage, "_engine", no_engine)
    with storage.study_lock("sqlite:////tmp/study.db", "s"):
        pass
    with (
        pytest.raises(AssertionError, match="an engine for postgresql://db/s"),
        storage.study_lock("postgresql://db/s", "s"),
    ):
        pass


@pytest.mark.parametrize(
    ("failures", "calls", "raised"),
    [
        (["integrity", "duplicated", "locked"], 4, None),  # three lost races, then the study
        (["unreachable"], 1, "OperationalError"),  # not a race: at once
        (["integrity"] * 20, 8, "IntegrityError"),  # CREATE_TRIES, then the error
    ],
)
def test_creating_a_study_is_tried_again_only_after_a_lost_race(tmp_path, monkeypatch, failures, calls, raised):
    import optuna
    from sqlalchemy import exc

    from dlkit.tuning import study

    errors = {
        "integrity": exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: studies.study_name")),
        "duplicated": optuna.exceptions.DuplicatedStudyError("race"),
        "locked": exc.OperationalError("CREATE TABLE", {}, Exception("database is locked")),
        "unreachable": exc.OperationalError("connect", {}, Exception("could not translate host name")),
    }
    made, waits = [], []

    def create_study(**kwargs):
        made.append(kwargs["study_name"])
        if len(made) <= len(failures):
            raise errors[failures[len(made) - 1]]
        return "the study"

    monkeypatch.setattr(optuna.storages, "RDBStorage", lambda url, engine_kwargs: url)
    monkeypatch.setattr(optuna, "create_study", create_study)
    monkeypatch.setattr(study.time, "sleep", waits.append)
    config = load_config(write_config(tmp_path, SEARCH))
    folder = study.StudyFolder(tmp_path, "s", f"sqlite:///{tmp_path}/study.db")
    if raised is None:
        assert study._create_study(folder, config, {}) == "the study"
    else:
        with pytest.raises(Exception) as error:
            study._create_study(folder, config, {})
        assert type(error.value).__name__ == raised
    assert made == ["s"] * calls and len(waits) == calls - 1  # a wait before each try again
    assert all(0.025 <= wait <= 1.5 for wait in waits)
    if len(waits) > 4:
        assert min(waits[4:]) >= 0.4  # they grow: 0.05 s x 2^k up to 1 s, each jittered by half
