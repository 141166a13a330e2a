"""CTranslate2's instruction set in processes that only tag text (``vocsvc analyze``, ``vocsvc batch``).

CTranslate2 uses AVX-512 only on Intel CPUs; on an AMD CPU that has it, it runs AVX2. On a 2-core AMD EPYC with
AVX-512, forcing AVX512 made the e5cx encoder 13-20% faster and ``bench/analyze.py --lang mix`` 16% faster
(252-253 against 216-218 texts/s, same run), and ``make eval`` gave the same scores (every headline within 0.002).
Whisper gained no speed and lost accuracy on the Russian synthetic calls (WER 0.129 -> 0.187 on 5 minutes,
0.131 -> 0.369 on 2), and CTranslate2 reads the choice once per process, so processes that may transcribe (serve,
worker, transcribe) keep CTranslate2's own choice and only text-only entry points call :func:`for_text_only`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "CT2_FORCE_CPU_ISA"
CHOICES = ("auto", "default", "GENERIC", "AVX", "AVX2", "AVX512")
# What CTranslate2's AVX-512 kernels need (its own check: F, CD, BW, DQ, VL).
_AVX512_FLAGS = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The first CPU's feature flags (empty where /proc/cpuinfo is missing: not Linux)."""
    try:
        with cpuinfo.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def choose(setting: str, flags: set[str]) -> str | None:
    """The ISA to force for ``setting`` on a CPU with ``flags``; None = leave CTranslate2's choice."""
    if setting not in CHOICES:
        raise ValueError(f"text_cpu_isa must be one of {', '.join(CHOICES)}, not {setting!r}")
    if setting == "default":
        return None
    if setting == "auto":
        return "AVX512" if _AVX512_FLAGS <= flags else None
    return setting


def for_text_only(setting: str) -> str | None:
    """Force the ISA for this process's CTranslate2 models, before it is loaded; returns what was forced.

    Does nothing when the user already set CT2_FORCE_CPU_ISA (theirs wins) or when CTranslate2 is already loaded
    (too late: it has chosen)."""
    isa = choose(setting, cpu_flags())
    if isa is None or os.environ.get(ENV) or "ctranslate2" in sys.modules:
        return None
    os.environ[ENV] = isa  # inherited by spawned batch workers
    return isa
