"""Untrusted inputs: bad files among good ones at predict time, and model files that would run code."""

import json
import struct
import zlib

import keras

from helpers.eval_predict import _digit_pngs


def _png_header_only(path, width, height):
    """A PNG that claims `width` x `height` pixels: what a decompression bomb looks like to Pillow."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    return path


def test_each_bad_input_is_one_line_and_the_rest_is_predicted(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    good = _digit_pngs(tmp_path / "images", 1)[0]
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    bomb = _png_header_only(tmp_path / "bomb.png", 30_000, 30_000)
    text = tmp_path / "notes.txt"
    text.write_text("not an image\n")
    result = cli("predict", bomb, truncated, text, good, "--run", run_dir, "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["predictions"]
    assert [("error" in row) for row in rows] == [True, True, True, False]
    assert "label" in rows[3]
    assert "too large" in rows[0]["error"] or "pixels" in rows[0]["error"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("dlkit: ")]
    assert len(errors) == 3 and "Traceback" not in result.stderr
    assert all(str(p) in result.stderr for p in (bomb, truncated, text))


def test_a_model_with_a_lambda_layer_is_refused(trained_run, cli, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(trained_run[0], run_dir)
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(run_dir / "model.keras")
    result = cli("predict", _digit_pngs(tmp_path / "images", 1)[0], "--run", run_dir)
    assert result.exit_code == 1
    assert "model.keras" in result.stderr and "safe mode" in result.stderr and "Traceback" not in result.stderr
