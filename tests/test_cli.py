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


def test_keys_commands_create_rotate_revoke(tmp_path):
    """`vocsvc keys`: limits and expiry at creation; rotation prints the new key once; revocation; list shows
    expiry and the replacement, never a secret."""
    import os

    from vocsvc.store.db import make_engine
    from vocsvc.store.keys import verify_key

    url = f"sqlite:///{tmp_path / 'k.db'}"
    env = os.environ | {"VOCSVC_DATABASE_URL": url}

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "vocsvc.cli", *a], env=env, capture_output=True, text=True,
                              timeout=120)

    assert cli("db", "upgrade").returncode == 0
    made = cli("keys", "create", "--role", "qa", "--name", "lead", "--expires-days", "30", "--rate-limit", "100")
    old = made.stdout.strip()
    assert made.returncode == 0 and old.startswith("vk_"), made.stderr
    kid = old.split("_")[1]
    rot = cli("keys", "rotate", kid, "--grace-hours", "0")
    new = rot.stdout.strip()
    assert rot.returncode == 0 and new.startswith("vk_") and new != old and "replaced" in rot.stderr
    eng = make_engine(url)
    from vocsvc.clock import utcnow

    assert verify_key(eng, old, utcnow()) is None  # no grace asked for
    k = verify_key(eng, new, utcnow())
    assert k is not None and k.role == "qa" and k.rate_limit_per_minute == 100 and k.expires_at is not None
    listed = [json.loads(x) for x in cli("keys", "list").stdout.splitlines()]
    assert {x["id"]: x["rotated_to"] for x in listed}[kid] == k.id and old not in str(listed)
    again = cli("keys", "rotate", kid)
    assert again.returncode == 2 and "no live" in again.stderr
    assert cli("keys", "revoke", k.id).returncode == 0 and verify_key(eng, new, utcnow()) is None
    eng.dispose()


def test_demo_load_twice_and_the_demo_key(tmp_path):
    """`vocsvc demo load` queues the demo data once (JSON counts on stdout); `vocsvc demo key` creates the admin key
    once, keeps it in <data_dir>/demo-admin.key and prints the same key again."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCSVC_")} | {
        "VOCSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "VOCSVC_QUEUE_PATH": str(tmp_path / "q.db"),
        "VOCSVC_DATA_DIR": str(tmp_path / "data")}

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "vocsvc.cli", *a], env=env, capture_output=True, text=True,
                              timeout=120)

    refused = cli("demo", "load")
    assert refused.returncode == 2 and "vocsvc db upgrade" in refused.stderr
    assert cli("db", "upgrade").returncode == 0
    first = cli("demo", "load")
    assert first.returncode == 0, first.stderr
    got = json.loads(first.stdout)
    assert got["mentions_created"] > 300 and got["calls_submitted"] == 4 and got["mentions_existing"] == 0
    second = json.loads(cli("demo", "load").stdout)
    assert second == {"mentions_created": 0, "mentions_existing": got["mentions_created"], "calls_submitted": 0,
                      "calls_existing": 4}
    k1, k2 = cli("demo", "key"), cli("demo", "key")
    assert k1.returncode == 0 and k1.stdout.strip().startswith("vk_") and k2.stdout == k1.stdout
    assert (tmp_path / "data" / "demo-admin.key").read_text().strip() == k1.stdout.strip()
    assert cli("demo", "load", "--dir", str(tmp_path / "nowhere")).returncode == 2


@pytest.mark.parametrize("setting, user, selected", [("GENERIC", None, "GENERIC"), ("GENERIC", "AVX2", "AVX2")])
def test_analyze_forces_the_text_cpu_isa_unless_the_user_did(tmp_path, env, setting, user, selected):
    # CTranslate2 logs the instruction set it selected when CT2_VERBOSE=1: proof the setting reached it in time.
    # GENERIC runs on every CPU (AVX2 on every x86-64 CI machine); the user's own CT2_FORCE_CPU_ISA wins.
    e = {k: v for k, v in env.items() if k != "CT2_FORCE_CPU_ISA"}
    e.update({"VOCSVC_TEXT_CPU_ISA": setting, "CT2_VERBOSE": "1"}, **({"CT2_FORCE_CPU_ISA": user} if user else {}))
    p = run(["analyze", "-"], stdin=b"Refund please, the order never came\n", env=e)
    assert p.returncode == 0, p.stderr.decode()
    assert f"Selected ISA: {selected}" in p.stderr.decode()
    assert json.loads(p.stdout.decode().splitlines()[0])["sentiment"]["label"] == "negative"
