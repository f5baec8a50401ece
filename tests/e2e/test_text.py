"""Text datasets: the vocabulary is fitted on the training split and travels inside the model."""

import json

import pytest
import yaml

from conftest import write_config
from helpers.text import reviews, text_config


def test_text_folder_trains_and_predicts_raw_strings(tmp_path, cli):
    texts, labels = reviews(120)
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        (tmp_path / "reviews" / label).mkdir(parents=True, exist_ok=True)
        (tmp_path / "reviews" / label / f"{i}.txt").write_text(text)
    config = text_config("text_folder", {"path": str(tmp_path / "reviews")})
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = (tmp_path / "runs" / "latest").resolve()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9
    (tmp_path / "new.txt").write_text("The plot was DREADFUL and boring.\n\nA superb, wonderful film\n")
    out = cli("predict", tmp_path / "new.txt", "--text", "I loved it, excellent", "--run", run_dir, "--json")
    assert out.exit_code == 0, out.stderr
    rows = json.loads(out.stdout)["predictions"]
    assert [r["label"] for r in rows] == ["pos", "neg", "pos"]
    assert [r["input"] for r in rows][1:] == [f"{tmp_path / 'new.txt'}:1", f"{tmp_path / 'new.txt'}:2"]


def test_text_csv(tmp_path, cli):
    texts, labels = reviews(100, seed=2)
    lines = ["Review,Sentiment"] + [f'"{t}",{label}' for t, label in zip(texts, labels, strict=True)]
    (tmp_path / "reviews.csv").write_text("\n".join(lines) + "\n")
    options = {"path": str(tmp_path / "reviews.csv"), "text_column": "review", "target": "sentiment"}
    result = cli(
        "train", write_config(tmp_path, text_config("text_csv", options)), "--runs-dir", tmp_path / "runs", "-q"
    )
    assert result.exit_code == 0, result.stderr
    info = json.loads((tmp_path / "runs" / "latest" / "run.json").read_text())
    assert info["classes"] == ["neg", "pos"] and info["input"]["kind"] == "text"
    out = cli("predict", "--text", "awful and boring", "--run", tmp_path / "runs" / "latest", "--json")
    assert json.loads(out.stdout)["predictions"][0]["label"] == "neg"


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda root: (root / "pos").mkdir(parents=True), "pos: empty class folder (no .txt files)"),
        (lambda root: ((root / "pos").mkdir(parents=True), (root / "pos" / "a.txt").write_bytes(b"\xff\xfe\xfa")),
         "a.txt: not utf-8 text"),
    ],
)  # fmt: skip
def test_bad_text_folders(tmp_path, cli, setup, message):
    setup(tmp_path / "reviews")
    config = text_config("text_folder", {"path": str(tmp_path / "reviews")})
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1 and message in result.stderr


def test_texts_of_unknown_words_are_reported(tmp_path, cli):
    texts, labels = reviews(60, seed=3)
    lines = ["text,label"] + [f'"{t}",{label}' for t, label in zip(texts, labels, strict=True)]
    (tmp_path / "reviews.csv").write_text("\n".join(lines) + "\n")
    config = text_config("text_csv", {"path": str(tmp_path / "reviews.csv")})
    config["train"]["epochs"] = 1
    assert cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    run_dir = (tmp_path / "runs" / "latest").resolve()
    strange, known = "Zorp blix, quux the", "the film was superb"
    out = cli("predict", "--text", strange, "--text", known, "--run", run_dir, "--json")
    assert out.exit_code == 0, out.stderr
    rows = json.loads(out.stdout)["predictions"]
    assert rows[0]["unseen"] == {"words": "3 of 4"} and "label" in rows[0] and "unseen" not in rows[1]
    assert f"1 text with most of its words not in the training vocabulary ({strange})" in out.stderr

    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["data"]["options"]["unseen"] = "error"
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    out = cli("predict", "--text", strange, "--text", known, "--run", run_dir, "--json")
    rows = json.loads(out.stdout)["predictions"]
    assert out.exit_code == 1 and "label" in rows[1]
    assert rows[0]["error"] == "3 of 4 words not in the training vocabulary (data.options.unseen: error)"
