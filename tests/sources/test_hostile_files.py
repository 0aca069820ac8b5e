"""Hostile input files (issue 14, cases 6, 7 and the input side of 13): files that do not decompress,
records too deep or too long for memory, symlink loops and duplicate links, and inputs that are a
filesystem root or a broken link. Each becomes a rejected row or a one-line InputError, never a
crash or a file read twice, and the good files beside them are read as before.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import random
import zlib
from pathlib import Path

import pytest
import zstandard
from pyspark.sql import functions as F

from byod.columns import ID, ORIGIN, RAW, REJECT_REASON, TEXT
from byod.errors import InputError
from byod.job import SourceSpec, check_inputs
from byod.sources import probe
from byod.sources.c4 import read_c4
from byod.sources.files import read_jsonl, read_text, resolve_paths
from byod.sources.finetune import read_finetune
from byod.sources.probe import FILE_UNREADABLE
from byod.sources.records import (
    JSONL_BAD_JSON,
    JSONL_TOO_DEEP,
    JSONL_TOO_LONG,
    TEXT_TOO_LONG,
    parse_json_record,
)


def _docs(prefix: str, n: int) -> bytes:
    return "".join(json.dumps({"text": f"{prefix} document number {i}.", "url": f"{prefix}/{i}"}) + "\n"
                   for i in range(n)).encode()


def _bad_compressed(folder: Path) -> dict[str, str]:
    """One file per way a compressed file can be broken; returns name -> expected error type."""
    whole = gzip.compress(_docs("cut", 2000))
    (folder / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "text_named.jsonl.gz").write_bytes(_docs("plain", 3))
    (folder / "random.jsonl.gz").write_bytes(random.Random(7).randbytes(5000))
    (folder / "random.jsonl.bz2").write_bytes(random.Random(8).randbytes(5000))
    zst = zstandard.ZstdCompressor().compress(_docs("zst", 2000))
    (folder / "truncated.jsonl.zst").write_bytes(zst[: len(zst) // 2])
    (folder / "random.jsonl.zst").write_bytes(random.Random(9).randbytes(5000))
    return {"truncated.jsonl.gz": "EOFError", "text_named.jsonl.gz": "BadGzipFile", "random.jsonl.gz": "BadGzipFile",
            "random.jsonl.bz2": "OSError", "truncated.jsonl.zst": "EOFError", "random.jsonl.zst": "ZstdError"}


@pytest.fixture()
def mixed(tmp_path) -> Path:
    """Good files (plain, gzip, bzip2, zstd: 10 documents each) beside every kind of broken one."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.jsonl").write_bytes(_docs("plain", 10))
    (folder / "good.jsonl.gz").write_bytes(gzip.compress(_docs("gz", 10)))
    (folder / "good.jsonl.bz2").write_bytes(bz2.compress(_docs("bz2", 10)))
    (folder / "good.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(_docs("zst", 10)))
    return folder


def test_unreadable_files_are_one_row_each_and_good_files_are_read(spark, mixed):
    expected = _bad_compressed(mixed)
    df = read_jsonl(spark, mixed)
    rows = df.collect()
    good = [r for r in rows if r[REJECT_REASON] is None]
    assert sorted(r[TEXT] for r in good) == sorted(
        f"{p} document number {i}." for p in ("plain", "gz", "bz2", "zst") for i in range(10))
    bad = {Path(r[ORIGIN]).name: r for r in rows if r[REJECT_REASON] is not None}
    assert set(bad) == set(expected)  # one row per file, nothing read from a broken file
    for name, error in expected.items():
        row = bad[name]
        assert row[REJECT_REASON] == FILE_UNREADABLE and row[ORIGIN] == str(mixed / name)
        assert row[RAW].startswith(error + ": ") and "\n" not in row[RAW] and row[TEXT] is None
    # ids are stable: the same on a second read, and a broken neighbour changes no good id
    again = read_jsonl(spark, mixed)
    assert sorted(r[ID] for r in again.collect()) == sorted(r[ID] for r in rows)
    assert len({r[ID] for r in rows}) == len(rows)


def test_unreadable_files_in_c4_text_and_finetune_readers(spark, mixed):
    _bad_compressed(mixed)
    c4 = read_c4(spark, mixed)
    assert c4.filter(F.col(REJECT_REASON) == FILE_UNREADABLE).count() == 6
    assert c4.filter(F.col(REJECT_REASON).isNull()).count() == 40
    for per in ("file", "line"):
        text = read_text(spark, mixed, per=per)
        reasons = dict(text.groupBy(REJECT_REASON).count().collect())
        assert reasons[FILE_UNREADABLE] == 6 and reasons[None] == (4 if per == "file" else 40)
    chats = mixed.parent / "ft"
    chats.mkdir()
    pairs = "".join(json.dumps({"prompt": f"q{i}", "response": f"a{i}"}) + "\n" for i in range(4)).encode()
    (chats / "good.jsonl.gz").write_bytes(gzip.compress(pairs))
    (chats / "cut.jsonl.gz").write_bytes(gzip.compress(pairs * 50)[:60])
    (chats / "junk.jsonl.zst").write_bytes(random.Random(3).randbytes(500))
    (chats / "deep.jsonl").write_bytes(b"[" * 100_000 + b"\n")
    ft = dict(read_finetune(spark, chats).groupBy(REJECT_REASON).count().collect())
    assert ft == {None: 4, FILE_UNREADABLE: 2, JSONL_TOO_DEEP: 1}


def test_deeply_nested_json_is_rejected_not_a_crash(spark, tmp_path):
    assert parse_json_record(b"[" * 100_000, text_field="text").reason == JSONL_TOO_DEEP
    assert parse_json_record(b'{"text": "x", "m": ' + b"[" * 100_000 + b"}", text_field="text").reason == JSONL_TOO_DEEP
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"text": "fine"}\n' + b"[" * 100_000 + b"\n" + b'{"text": "' + b"{" * 5000 + b'"}\n')
    rows = {r[ORIGIN] or r[TEXT]: r for r in read_jsonl(spark, path).collect()}
    assert rows[f"{path}:2"][REJECT_REASON] == JSONL_TOO_DEEP
    assert "fine" in rows and "{" * 5000 in rows  # braces inside a string are text, not nesting


def _bomb(path: Path, size: int, *, before: bytes = b"", after: bytes = b"") -> None:
    """A gzip file holding ``before``, one line of ``size`` bytes, then ``after``, written in 1 MiB steps."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    piece = b"x" * (1 << 20)
    with open(path, "wb") as out:
        out.write(packer.compress(before + b'{"text": "'))
        for start in range(0, size, len(piece)):
            out.write(packer.compress(piece[: size - start]))
        out.write(packer.compress(b'"}\n' + after) + packer.flush())


def test_too_long_lines_are_rejected_and_their_neighbours_kept(spark, tmp_path):
    limit = 4096
    folder = tmp_path / "in"
    folder.mkdir()
    _bomb(folder / "bomb.jsonl.gz", 64 << 20, before=_docs("head", 2), after=_docs("tail", 3))
    assert (folder / "bomb.jsonl.gz").stat().st_size < 1 << 20  # 64 MiB of one line
    plain = b'{"text": "short one"}\n' + b'{"text": "' + b"y" * 10_000 + b'"}\r\n' + b"not json\r" + b'{"text": "z"}'
    (folder / "plain.jsonl").write_bytes(plain)
    (folder / "small.jsonl").write_bytes(_docs("small", 2))
    rows = read_jsonl(spark, folder, max_record_bytes=limit).collect()
    bad = {r[ORIGIN]: (r[REJECT_REASON], r[RAW]) for r in rows if r[REJECT_REASON] is not None}
    assert set(bad) == {f"{folder}/bomb.jsonl.gz:3", f"{folder}/plain.jsonl:2", f"{folder}/plain.jsonl:3"}
    assert bad[f"{folder}/bomb.jsonl.gz:3"][0] == JSONL_TOO_LONG and bad[f"{folder}/plain.jsonl:2"][0] == JSONL_TOO_LONG
    assert bad[f"{folder}/bomb.jsonl.gz:3"][1].startswith('{"text": "xxxx') and len(bad[f"{folder}/plain.jsonl:2"][1]) == 2000
    assert bad[f"{folder}/plain.jsonl:3"][0] == JSONL_BAD_JSON  # lines after a long one keep their numbers
    good = sorted(r[TEXT] for r in rows if r[REJECT_REASON] is None)
    assert good == sorted(["short one", "z", *(f"{p} document number {i}." for p, n in
                                               (("head", 2), ("tail", 3), ("small", 2)) for i in range(n))])
    # the same lines, read with no limit, have the same ids: the limit changes no good document's identity
    unlimited = {r[ID] for r in read_jsonl(spark, folder / "plain.jsonl", max_record_bytes=None).collect()}
    limited = {r[ID] for r in read_jsonl(spark, folder / "plain.jsonl", max_record_bytes=limit).collect()
               if r[REJECT_REASON] != JSONL_TOO_LONG}
    assert limited < unlimited
    with pytest.raises(ValueError, match="max_record_bytes"):
        read_jsonl(spark, folder, max_record_bytes=0)


def test_whole_files_too_long_are_rejected(spark, tmp_path):
    folder = tmp_path / "tex"
    folder.mkdir()
    (folder / "big.tex").write_text("\\section{A}\n" + "word " * 2000)
    (folder / "big2.tex.gz").write_bytes(gzip.compress(("\\section{B}\n" + "word " * 2000).encode()))
    (folder / "fine.tex").write_text("\\section{C} short")
    rows = {Path(r[ORIGIN] or "fine").name: r for r in read_text(spark, folder, max_record_bytes=5000).collect()}
    assert rows["big.tex"][REJECT_REASON] == TEXT_TOO_LONG and rows["big.tex"][RAW].startswith("\\section{A}")
    assert rows["big2.tex.gz"][REJECT_REASON] == TEXT_TOO_LONG
    assert rows["fine"][TEXT] == "\\section{C} short" and len(rows) == 3


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_lines_cut_as_hadoop_does_across_chunks(tmp_path, chunk, monkeypatch):
    data = b"a\r\nbb\rccc\n\n\r\nlong line here\r\nlast"
    path = tmp_path / "x.txt"
    path.write_bytes(data)
    real = probe.chunks
    monkeypatch.setattr(probe, "chunks", lambda p, size=chunk: real(p, size))
    assert list(probe.lines(str(path), 5)) == [(b"a", None), (b"bb", None), (b"ccc", None), (b"", None),
                                               (b"", None), (None, "long line here"), (b"last", None)]
    assert probe.probe_file(str(path), max_record_bytes=14, whole_file=False) is None
    assert probe.probe_file(str(path), max_record_bytes=13, whole_file=False).problem == probe.LONG_LINE


def _tree(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(_docs("a", 2))
    (folder / "sub" / "b.jsonl").write_bytes(_docs("b", 3))
    return folder


def test_symlink_loop_in_a_folder_is_refused_naming_the_link(spark, tmp_path):
    folder = _tree(tmp_path)
    (folder / "sub" / "loop").symlink_to(folder)
    with pytest.raises(InputError, match=r"symlink .*sub/loop.* loop") as error:
        read_jsonl(spark, folder)
    assert "\n" not in str(error.value)
    with pytest.raises(InputError, match="sub/loop"):
        check_inputs([SourceSpec(name="web", format="jsonl", paths=[str(folder)])], "test")


def test_each_real_file_is_read_once(spark, tmp_path):
    folder = _tree(tmp_path)
    (folder / "also_sub").symlink_to(folder / "sub")  # a second way into the same folder
    (folder / "c.jsonl").symlink_to(folder / "a.jsonl")
    df = read_jsonl(spark, [folder, folder / "a.jsonl", str(folder / "*.jsonl")])
    assert df.count() == 5 and df.select(ID).distinct().count() == 5
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "a[1] {x}*?.jsonl").write_bytes(_docs("odd", 2))  # glob characters in a file name are literal
    assert read_jsonl(spark, odd).filter(F.col(REJECT_REASON).isNull()).count() == 2


def test_root_and_broken_links_as_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="filesystem root"):
        resolve_paths("/")
    (tmp_path / "to_root").symlink_to("/")
    with pytest.raises(InputError, match="filesystem root"):
        resolve_paths(tmp_path / "to_root")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.jsonl")
    with pytest.raises(InputError, match="dangling symlink.*gone.jsonl"):
        resolve_paths(tmp_path / "dangling")
    with pytest.raises(InputError, match="dangling symlink"):
        resolve_paths(str(tmp_path / "dang*"))
    (tmp_path / "self").symlink_to(tmp_path / "self")
    with pytest.raises(InputError, match="symlink loop"):
        resolve_paths(tmp_path / "self")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"text": "x"}\n')
    (folder / "broken").symlink_to(tmp_path / "unmounted")
    with pytest.raises(InputError, match="dangling symlink"):
        resolve_paths(folder)
    with pytest.raises(InputError, match="filesystem root"):
        check_inputs([SourceSpec(name="web", format="jsonl", paths=["/"])], "test")


@pytest.mark.slow
def test_one_gib_gzip_bomb_with_the_default_limit(spark, tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    _bomb(path, 1 << 30, after=_docs("after", 2))
    df = read_jsonl(spark, [path, tmp_path / "bomb.jsonl.gz"])
    rows = df.collect()
    assert [(r[REJECT_REASON], r[ORIGIN]) for r in rows if r[REJECT_REASON]] == [(JSONL_TOO_LONG, f"{path}:1")]
    assert sorted(r[TEXT] for r in rows if r[TEXT]) == ["after document number 0.", "after document number 1."]
    assert os.path.getsize(path) < 4 << 20


def test_zst_read_in_python_matches_spark(spark, tmp_path, monkeypatch):
    """Spark 3.x cannot read .zst (issue 17): byod reads those files in Python tasks with Hadoop's line
    cuts, so every id, origin and text equals what Spark 4 reads natively from the same files."""
    from byod.sources import scan

    folder = tmp_path / "zst"
    folder.mkdir()
    lines = _docs("zst", 30).replace(b"\n", b"\r\n", 3) + b"\n\n" + _docs("tail", 5).rstrip(b"\n")  # CRLF, blanks, no end
    (folder / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    (folder / "b.jsonl").write_bytes(_docs("plain", 4))
    text_file = tmp_path / "c.txt.zst"
    text_file.write_bytes(zstandard.ZstdCompressor().compress(b"one\ntwo\r\nthree"))
    columns = [ID, ORIGIN, TEXT, REJECT_REASON]

    def reads() -> list:
        return [sorted(tuple(r) for r in frame.select(*columns).collect()) for frame in (
            read_jsonl(spark, folder), read_text(spark, text_file, per="line"),
            read_text(spark, text_file, per="file"))]

    assert scan.spark_reads_zstd(spark) == (int(spark.version.split(".")[0]) >= 4)
    native = reads() if scan.spark_reads_zstd(spark) else None
    monkeypatch.setattr(scan, "spark_reads_zstd", lambda _spark: False)
    in_python = reads()
    assert len(in_python[0]) == 39 and len(in_python[1]) == 3 and in_python[2][0][2] == "one\ntwo\r\nthree"
    if native is not None:
        assert in_python == native
    with pytest.raises(InputError, match=r"s3://bucket/x.jsonl.zst: Spark .* cannot read .zst files"):
        read_jsonl(spark, "s3://bucket/x.jsonl.zst")
