import json
import subprocess
import sys


def test_transcribe_cli_writes_json_and_reports_bad_files(tmp_path, shared_data):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 100)
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "vocsvc.cli", "transcribe", str(shared_data / "audio" / "jfk.flac"),
                        str(bad), "-o", str(out), "--language", "en"],
                       capture_output=True, text=True, timeout=300,
                       env={**__import__("os").environ, "VOCSVC_ENCODER": "usem3"})
    assert p.returncode == 1  # one file failed, the other was written
    assert "bad.wav: FAILED: not audio" in p.stderr
    d = json.loads((out / "jfk.json").read_text(encoding="utf-8"))
    assert d["language"] == "en" and d["channels"] == 1 and d["utterances"]
    u = d["utterances"][0]
    assert {"role", "start", "end", "text_redacted", "tags"} <= set(u)
    assert "sentiment" in u["tags"] and "metrics" in d and "rollups" in d
    assert not (out / "bad.json").exists()
