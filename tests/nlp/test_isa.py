"""CTranslate2 instruction-set choice for text-only processes (vocsvc/nlp/isa.py)."""
import subprocess
import sys

import pytest

from vocsvc.nlp.isa import CHOICES, choose, cpu_flags

AVX512 = {"avx2", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"}


def test_auto_takes_avx512_only_where_every_needed_flag_is_present():
    assert choose("auto", AVX512) == "AVX512"
    assert choose("auto", AVX512 - {"avx512bw"}) is None  # some early AVX-512 CPUs lack BW: CTranslate2 needs it
    assert choose("auto", {"avx2", "fma"}) is None
    assert choose("default", AVX512) is None
    assert choose("AVX2", AVX512) == "AVX2"
    assert set(CHOICES) >= {"auto", "default", "AVX512"}
    with pytest.raises(ValueError, match="text_cpu_isa must be one of"):
        choose("avx512", AVX512)


def test_cpu_flags_read_from_cpuinfo(tmp_path):
    f = tmp_path / "cpuinfo"
    f.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n\n"
                 "processor\t: 1\nflags\t\t: fpu\n", encoding="utf-8")
    assert cpu_flags(f) == {"fpu", "sse2", "avx2", "avx512f", "avx512bw"}
    assert cpu_flags(tmp_path / "missing") == set()


def run_py(code: str, env: dict) -> str:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_nothing_forced_once_ctranslate2_is_loaded_or_the_user_chose():
    import os

    env = {k: v for k, v in os.environ.items() if k != "CT2_FORCE_CPU_ISA"}
    probe = "import os; from vocsvc.nlp.isa import for_text_only; {pre}print(for_text_only('AVX2'), " \
            "os.environ.get('CT2_FORCE_CPU_ISA'))"
    assert run_py(probe.format(pre=""), env) == "AVX2 AVX2"
    assert run_py(probe.format(pre="import ctranslate2; "), env) == "None None"  # too late: it has chosen
    assert run_py(probe.format(pre=""), {**env, "CT2_FORCE_CPU_ISA": "GENERIC"}) == "None GENERIC"
