"""An iris table with spaces and capitals in its header, and its config."""

from pathlib import Path

SPECIES = ["setosa", "versicolor", "virginica"]


def iris_csv(path: Path, labels=SPECIES) -> Path:
    rows = [f"{5 + i % 3}.1,3.{i % 7},1.4,0.2,{labels[i % len(labels)]}" for i in range(30)]
    path.write_text("Sepal Length,sepal_width,petal length,petal_width,Species\n" + "\n".join(rows) + "\n")
    return path


def iris_config(csv: Path, units=3, activation="softmax", task="classification", **options) -> dict:
    return {
        "name": "iris",
        "task": task,
        "data": {"dataset": "csv", "options": {"path": str(csv), "target": "species", **options}},
        "model": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dense", "units": units, "activation": activation},
            ]
        },
    }
