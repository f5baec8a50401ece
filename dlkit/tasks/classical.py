"""Classical models a table's run is compared with (`eval.baselines`): scikit-learn's logistic
regression (classes) or ridge regression (numbers), and HistGradientBoosting, fitted on the
training split and predicting the scored splits.

The columns enter as they come: numbers as they are, categories as ordinal codes for
HistGradientBoosting (declared categorical) and one-hot for the linear model. A missing number is
left to HistGradientBoosting (it learns where to send it) and filled with the training mean for the
linear model, which also standardises the numbers; a missing category is one of its own.

Kept cheap: fitted on a seeded sample of at most `MAX_ROWS` training rows, in one thread,
HistGradientBoosting with `MAX_ITER` boosting rounds, both seeded from the run's seed, so a run
trained again gets the same figures."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal

from dlkit.data.examples import take
from dlkit.data.splits import Split

if TYPE_CHECKING:
    import numpy as np

#: The most training rows the models are fitted on: a larger split is sampled (seeded). On a 50,000-row
#: table both models fit and predict in seconds on two CPU cores.
MAX_ROWS = 50_000
#: HistGradientBoosting's boosting rounds (scikit-learn's default), all of them: its early stopping
#: holds out a stratified share, which fails on a class of one example.
MAX_ITER = 100
#: A category column's most values one-hot encoded for the linear model (the rarer share one column).
MAX_ONE_HOT = 50
#: HistGradientBoosting takes at most 255 values of a category (its bins); the rarer share one.
MAX_CATEGORIES = 255


def fit_predict(
    kind: Literal["classifier", "regressor"], train: Split, splits: dict[str, Split], seed: int, classes: int = 0
) -> dict[str, dict[str, np.ndarray]]:
    """{model name: {split name: predictions}}: class probabilities (N, `classes`) for a
    classifier, values (N, D) for a regressor. Empty when the training split cannot fit one (a
    single class)."""
    import numpy as np

    y = np.asarray(train.y)
    if len(y) > MAX_ROWS:
        chosen = np.sort(np.random.default_rng([seed, MAX_ROWS]).choice(len(y), MAX_ROWS, replace=False))
        train = Split(take(train.x, chosen), y[chosen])
        y = train.y
    if kind == "classifier" and len(np.unique(y)) < 2:
        return {}
    frame, categorical = _frame(train.x)
    kept = [c for c in frame.columns if frame[c].notna().any()]  # a column never filled tells nothing
    if not kept:
        return {}
    frame, categorical = frame[kept], [c for c in categorical if c in kept]
    frames = {name: _frame(split.x)[0][kept] for name, split in splits.items()}
    models = _classifiers(frame, categorical, seed) if kind == "classifier" else _regressors(frame, categorical, seed)
    from threadpoolctl import threadpool_limits

    found = {}
    # One thread: on a busy machine OpenMP's threads wait on each other (HistGradientBoosting took
    # 28 s on 50,000 rows where one thread takes 2 s), and the figures do not depend on the cores.
    # Convergence notes of a baseline are no concern of the user's run.
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, model in models.items():
            if kind == "classifier":
                model.fit(frame, y.astype("int64"))
                found[name] = {s: _all_classes(model, model.predict_proba(f), classes) for s, f in frames.items()}
            else:
                targets = y.reshape(len(y), -1)
                fitted = [model(column).fit(frame, targets[:, column]) for column in range(targets.shape[1])]
                found[name] = {s: np.stack([m.predict(f) for m in fitted], axis=1) for s, f in frames.items()}
    return found


def _frame(x):
    """The columns as a DataFrame (numbers float64, NaN where missing or infinite, which
    scikit-learn refuses; categories objects, NaN where blank) and the names of the categorical ones."""
    import numpy as np
    import pandas as pd

    def numbers(values) -> np.ndarray:
        values = np.asarray(values, dtype="float64")
        return np.where(np.isfinite(values), values, np.nan)

    if not isinstance(x, dict):
        values = numbers(x)
        return pd.DataFrame(values, columns=[f"x{i}" for i in range(values.shape[1])]), []
    columns, categorical = {}, []
    for name, column in x.items():
        column = np.asarray(column)
        if column.dtype.kind in "biuf":
            columns[name] = numbers(column)
        else:
            categorical.append(name)
            columns[name] = np.where(column == "", np.nan, column.astype(object))
    return pd.DataFrame(columns), categorical


def _linear_input(frame, categorical: list[str]):
    """Numbers: the training mean where missing, standardised; categories: one-hot (blank its own)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in frame.columns if c not in categorical]
    one_hot = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_ONE_HOT, sparse_output=False)
    numbers = make_pipeline(SimpleImputer(strategy="mean", keep_empty_features=True), StandardScaler())
    parts = [("numeric", numbers, numeric), ("categorical", one_hot, categorical)]
    return ColumnTransformer([part for part in parts if part[2]])


def _tree_input(frame, categorical: list[str]):
    """Categories as ordinal codes first (blank and unseen: missing), then the numbers as they are;
    and which of the columns out are categorical."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    numeric = [c for c in frame.columns if c not in categorical]
    codes = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=MAX_CATEGORIES,
    )
    parts = [("categorical", codes, categorical), ("numeric", "passthrough", numeric)]
    mask = [True] * len(categorical) + [False] * len(numeric)
    return ColumnTransformer([part for part in parts if part[2]]), mask


def _classifiers(frame, categorical: list[str], seed: int) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    columns, mask = _tree_input(frame, categorical)
    trees = HistGradientBoostingClassifier(
        max_iter=MAX_ITER, categorical_features=mask, early_stopping=False, random_state=seed
    )
    return {
        "logistic": make_pipeline(_linear_input(frame, categorical), LogisticRegression(max_iter=1000)),
        "hist_gradient_boosting": make_pipeline(columns, trees),
    }


def _regressors(frame, categorical: list[str], seed: int) -> dict:
    """Makers of one model per target column (HistGradientBoosting predicts one number)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    def ridge(column: int):
        return make_pipeline(_linear_input(frame, categorical), Ridge(alpha=1.0))

    def trees(column: int):
        columns, mask = _tree_input(frame, categorical)
        model = HistGradientBoostingRegressor(
            max_iter=MAX_ITER, categorical_features=mask, early_stopping=False, random_state=seed
        )
        return make_pipeline(columns, model)

    return {"ridge": ridge, "hist_gradient_boosting": trees}


def _all_classes(model, probabilities: np.ndarray, classes: int) -> np.ndarray:
    """Probabilities over every class 0..`classes`-1 (a class missing from the training sample: 0)."""
    import numpy as np

    full = np.zeros((len(probabilities), max(classes, int(model.classes_.max()) + 1)), dtype="float64")
    full[:, model.classes_] = probabilities
    return full
