"""The model registry (``models/registry.yaml``): what each role uses and whether it is really there."""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import yaml

from vocsvc.errors import ModelNotFoundError


@dataclass(frozen=True, slots=True)
class RoleStatus:
    role: str
    source: str
    ok: bool
    detail: str


def load_registry(models_dir: Path) -> dict:
    path = models_dir / "registry.yaml"
    if not path.exists():
        raise ModelNotFoundError(f"model registry not found at {path}: set VOCSVC_MODELS_DIR to the models/ folder")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_registry(models_dir: Path) -> list[RoleStatus]:
    """Is every package importable and does every shipped file match its sha256?"""
    out = []
    root = models_dir.parent
    for role, entry in load_registry(models_dir)["roles"].items():
        src = entry["source"]
        if src.startswith("package:"):
            mod = entry.get("module")
            ok = bool(mod) and importlib.util.find_spec(mod) is not None
            pkg = src.removeprefix("package:")
            out.append(RoleStatus(role, src, ok, "installed" if ok else f"missing: pip install '{pkg}'"))
        elif src.startswith("path:"):
            base = root / src.removeprefix("path:")
            files = entry.get("files")
            if not files:
                ok = base.exists()
                out.append(RoleStatus(role, src, ok, "present" if ok else f"missing: {base}"))
                continue
            bad = []
            for name, digest in files.items():
                f = base.parent / name
                if not f.exists():
                    bad.append(f"{name} missing")
                elif hashlib.sha256(f.read_bytes()).hexdigest() != digest:
                    bad.append(f"{name} sha256 differs (retrained? run models/train/evaluate.py)")
            out.append(RoleStatus(role, src, not bad, "; ".join(bad) or "sha256 ok"))
        else:
            out.append(RoleStatus(role, src, True, "external"))
    return out
