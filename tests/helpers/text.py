"""Reviews (texts and labels) and a text config."""

import numpy as np

GOOD = ["great", "wonderful", "loved", "excellent", "superb", "delightful"]

BAD = ["awful", "terrible", "boring", "hated", "dreadful", "poor"]


def reviews(n, seed=0):
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "was", "a", "plot", "and", "actors", "it"]
    texts, labels = [], []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = list(rng.choice(filler, 6)) + list(rng.choice(GOOD if label == "pos" else BAD, 2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + "!")
        labels.append(label)
    return texts, labels


def text_config(dataset, options):
    return {
        "name": "text",
        "seed": 1,
        "data": {"dataset": dataset, "options": {"sequence_length": 12, "max_tokens": 100, **options},
                 "batch_size": 16},
        "model": {"layers": [{"type": "embedding", "input_dim": 100, "output_dim": 8},
                             "global_average_pooling1d",
                             {"type": "dense", "units": 2, "activation": "softmax"}]},
        "train": {"epochs": 12, "optimizer": {"type": "adam", "learning_rate": 0.05}},
    }  # fmt: skip
