"""The fingerprint of streamed files: hashed once, then found by size and time; the same digest
with or without the cache."""

import numpy as np

from dlkit.core.registries import DATASETS
from helpers.image_folder import make_folder


def test_streamed_files_are_hashed_once_then_found_by_size_and_time(tmp_path, monkeypatch):
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 2)
    arrays = DATASETS.get("image_folder")(path=folder, image_size=[16, 16]).load()
    first = arrays.fingerprint()
    assert len(list((tmp_path / "cache" / "fingerprints").iterdir())) == 1

    def unread(path):
        raise AssertionError(f"{path} read again")

    from pathlib import Path

    monkeypatch.setattr(Path, "read_bytes", unread)
    assert arrays.fingerprint() == first  # from the cache, no file read
    monkeypatch.undo()
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    changed = sorted(folder.glob("red/*"))[0]
    changed.write_bytes(changed.read_bytes() + b"\0")  # another size: another key, hashed afresh
    assert arrays.fingerprint() != first
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "a-file"))
    assert arrays.fingerprint().startswith("sha256:")  # a cache that cannot be written: hashed each time


def test_the_fingerprint_is_the_content_hash_with_or_without_the_cache(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 1)
    arrays = DATASETS.get("image_folder")(path=folder, image_size=[16, 16]).load()
    digest = hashlib.sha256()
    for part, files in ((arrays.x_train, True), (arrays.y_train, False)):
        array = np.asarray(part)
        digest.update(f"{array.dtype}{array.shape}".encode())
        for item in array:
            digest.update(open(str(item), "rb").read() if files else b"")
        if not files:
            digest.update(np.ascontiguousarray(array).data)
    assert arrays.fingerprint() == arrays.fingerprint() == "sha256:" + digest.hexdigest()
