"""`dlkit tune`: hyperparameter search over a config's `tune:` section, on Optuna.

The search space and the strategies (`space.py`, `strategies.py`) are config models and import
neither Optuna nor TensorFlow; the study folder (`study.py`), the trial loop (`trials.py`) and the
reports (`report.py`) import them when a search runs.
"""
