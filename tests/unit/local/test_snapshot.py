"""The local stack's snapshot file (local/snapshot.py): atomic writes, bytes kept, a bad file set aside loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.snapshot import FILE_NAME, CorruptSnapshot, dumps, load, write


def test_a_snapshot_round_trips_bytes_and_nested_items(tmp_path: Path) -> None:
    # GIVEN state with DynamoDB binary attributes and an S3 object body
    state = {
        "tables": {"AppTable": [{"PK": {"S": "A"}, "blob": {"B": b"\x00\xff"}, "set": {"BS": [b"x", b"y"]}}]},
        "buckets": {"DocumentBucket": [{"key": "documents/a.pdf", "body": b"%PDF-1.7"}]},
    }

    # WHEN it is written and loaded again
    write(tmp_path, dumps(state))
    loaded = load(tmp_path)

    # THEN everything is back, bytes as bytes; no temporary file is left behind
    assert loaded is not None and loaded["tables"] == state["tables"] and loaded["buckets"] == state["buckets"]
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]


def test_no_snapshot_means_a_clean_start(tmp_path: Path) -> None:
    assert load(tmp_path) is None


@pytest.mark.parametrize(
    "content",
    ['{"version": 1, "tables": {', "[]", '{"version": 99}', '{"version": 1, "tables": []}', "\udcff"],
    ids=["cut-short", "not-an-object", "other-version", "bad-section", "not-utf8"],
)
def test_a_bad_snapshot_is_set_aside_and_reported(tmp_path: Path, content: str) -> None:
    # GIVEN a state.json that is not a snapshot this version can restore
    path = tmp_path / FILE_NAME
    path.write_bytes(content.encode("utf-8", "surrogateescape"))

    # WHEN it is loaded
    with pytest.raises(CorruptSnapshot) as raised:
        load(tmp_path)

    # THEN it was moved aside unchanged (never overwritten) and the message says where
    [aside] = tmp_path.glob(f"{FILE_NAME}.corrupt-*")
    assert aside.read_bytes() == content.encode("utf-8", "surrogateescape")
    assert not path.exists() and str(aside) in str(raised.value)
