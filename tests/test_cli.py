"""The `vocsvc analyze` contract, run as a real subprocess."""
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

VOCSVC = [sys.executable, "-m", "vocsvc.cli"]


def run(args, stdin=None, env=None):
    return subprocess.run(VOCSVC + args, input=stdin, capture_output=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    import os

    e = dict(os.environ)
    e["VOCSVC_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    return e


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_csv_in_input_order_with_bad_rows(tmp_path, env):
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"Refund please, order never came"\n2,""\n3,"Спасибо!"\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    p = run(["analyze", str(src), "-o", str(out)], env=env)
    assert p.returncode == 0, p.stderr.decode()
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[1] == {"id": "2", "error": "empty text"}
    assert rows[0]["lang"] == "en" and rows[2]["lang"] == "ru"


def test_custom_columns_jsonl_and_invalid_lines(tmp_path, env):
    src = tmp_path / "in.jsonl"
    src.write_text('{"key": "a", "body": "My parcel is late"}\nnot json\n{"key": "c", "body": 5}\n\n',
                   encoding="utf-8")
    p = run(["analyze", str(src), "--text-col", "body", "--id-col", "key"], env=env)
    assert p.returncode == 0
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == ["a", "2", "c"]
    assert "error" not in rows[0] and "invalid JSON" in rows[1]["error"] and "string" in rows[2]["error"]


def test_parquet_and_txt_and_stdin(tmp_path, env):
    pq.write_table(pa.table({"id": [10, 11], "text": ["Love this app", None]}), tmp_path / "in.parquet")
    p = run(["analyze", str(tmp_path / "in.parquet")], env=env)
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == ["10", "11"] and "error" in rows[1]

    (tmp_path / "in.txt").write_text("first line\nвторая строка\n", encoding="utf-8")
    p = run(["analyze", str(tmp_path / "in.txt")], env=env)
    assert [json.loads(x)["lang"] for x in p.stdout.decode().splitlines()] == ["en", "ru"]

    p = run(["analyze", "-"], stdin="hello there\nпривет\n".encode(), env=env)
    assert [json.loads(x)["id"] for x in p.stdout.decode().splitlines()] == ["1", "2"]


def test_cp1251_file_is_decoded(tmp_path, env):
    src = tmp_path / "ru.csv"
    src.write_bytes("id;text\n1;Ужасное обслуживание, верните деньги\n2;Всё отлично, спасибо большое\n".encode("cp1251"))
    p = run(["analyze", str(src)], env=env)
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert rows[0]["text_redacted"].startswith("Ужасное") and rows[1]["lang"] == "ru"


def test_koi8_and_utf16_files(tmp_path, env):
    text = "id,text\n1,Курьер опоздал на три дня\n"
    for enc in ("koi8_r", "utf-16"):
        src = tmp_path / f"{enc}.csv"
        src.write_bytes(text.encode(enc))
        p = run(["analyze", str(src)], env=env)
        rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
        assert rows[0]["text_redacted"] == "Курьер опоздал на три дня", enc


def test_undecodable_line_is_a_bad_row(tmp_path, env):
    src = tmp_path / "mixed.txt"
    src.write_bytes("good line number one\n".encode() * 50 + b"\xc3\x28\x98\x99 broken\n" + b"last good line\n")
    p = run(["analyze", str(src)], env=env)
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert len(rows) == 52 and "error" in rows[50] and "error" not in rows[51]


def test_unreadable_input_exits_2(tmp_path, env):
    p = run(["analyze", str(tmp_path / "missing.csv")], env=env)
    assert p.returncode == 2 and b"not found" in p.stderr
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    p = run(["analyze", str(tmp_path / "x.csv")], env=env)
    assert p.returncode == 2 and b"no column 'text'" in p.stderr
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    p = run(["analyze", str(tmp_path / "bad.parquet")], env=env)
    assert p.returncode == 2


def test_huge_post_is_rejected_not_fatal(tmp_path, env):
    src = tmp_path / "big.jsonl"
    src.write_text(json.dumps({"id": "big", "text": "spam " * 2_000_000}) + "\n" +
                   json.dumps({"id": "ok", "text": "fine"}) + "\n", encoding="utf-8")
    p = run(["analyze", str(src)], env=env)
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert "too long" in rows[0]["error"] and rows[1]["id"] == "ok" and "error" not in rows[1]
