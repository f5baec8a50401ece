"""`data.split.group`: a table's groups stay whole in the holdouts and in the folds."""

from dlkit.config.loader import parse_config
from dlkit.engine.prepare import prepare_data
from helpers.cv_groups import grouped_config, patients_table


def _patients(split) -> set:
    return set(split.groups.tolist())


def test_holdouts_and_folds_keep_each_group_whole(tmp_path):
    path = patients_table(tmp_path / "t.csv")
    data = prepare_data(parse_config(grouped_config(path)))
    train, val, test = (_patients(s) for s in (data.splits.train, data.splits.val, data.splits.test))
    assert train and val and test and not (train & val or train & test or val & test)
    assert "patient" not in data.splits.train.x and "patient" not in data.about.feature_names
    pool = train | val
    seen = set()
    for fold in (1, 2, 3):
        folded = prepare_data(parse_config(grouped_config(path, folds=3, fold=fold)))
        assert _patients(folded.splits.test) == test
        fold_train, fold_val = _patients(folded.splits.train), _patients(folded.splits.val)
        assert not fold_train & fold_val and fold_train | fold_val == pool
        seen |= fold_val
    assert seen == pool  # each group validates in one fold
