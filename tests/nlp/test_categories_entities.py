from pathlib import Path

from vocsvc.nlp.categories import CategoryMatcher
from vocsvc.nlp.entities import EntityOptions, EntityRecognizer
from vocsvc.nlp.lemmas import load_lemmatizer
from vocsvc.settings import REPO_MODELS_DIR


def test_shipped_lexicon_matches_inflections():
    lem = load_lemmatizer()
    m = CategoryMatcher(REPO_MODELS_DIR / "lexicons" / "categories.yaml", lem)
    texts = ["Спасибо большое!", "Я недовольна, ужасное обслуживание", "Расторгну договор и подам в суд",
             "Позовите руководителя", "Здравствуйте, меня зовут Ольга, чем могу помочь?", "ну ты и мудак",
             "Thanks a lot", "I'm switching to another provider and calling my lawyer", "let me speak to a manager",
             "this is fucking ridiculous", "Good morning, my name is Tom, how can I help?", "The parcel is here"]
    langs = ["ru"] * 6 + ["en"] * 6
    got = m(lem(texts, langs))
    assert got[0] == ["gratitude"]
    assert "dissatisfaction" in got[1]
    assert {"churn_threat", "legal_threat"} <= set(got[2])
    assert "escalation_request" in got[3]
    assert "politeness" in got[4]
    assert "profanity" in got[5]
    assert got[6] == ["gratitude"]
    assert {"churn_threat", "legal_threat"} <= set(got[7])
    assert "escalation_request" in got[8]
    assert {"profanity", "dissatisfaction"} <= set(got[9])
    assert "politeness" in got[10]
    assert got[11] == []


def test_custom_lexicon(tmp_path: Path):
    f = tmp_path / "lex.yaml"
    f.write_text("categories:\n  refund_word:\n    ru: [возврат]\n    en: [refund*]\n", encoding="utf-8")
    lem = load_lemmatizer()
    m = CategoryMatcher(f, lem)
    got = m(lem(["Где мой возврат?", "с возвратом проблемы", "refunding now", "no"], ["ru", "ru", "en", "en"]))
    assert got == [["refund_word"], ["refund_word"], ["refund_word"], []]


def test_prefix_patterns_found_through_their_index(tmp_path: Path):
    # prefix patterns are looked up by their first letters: a one-letter stem, an exact word before a prefix and a
    # stem matching only the word form (not the lemma) must still be found
    f = tmp_path / "lex.yaml"
    f.write_text("categories:\n  one_letter:\n    en: [z*]\n  two_words:\n    en: [no refund*]\n"
                 "  by_form:\n    en: [went*]\n  never:\n    en: [qq*]\n", encoding="utf-8")
    lem = load_lemmatizer()
    m = CategoryMatcher(f, lem)
    got = m(lem(["Zero stars", "no refunds yet", "I went home", "refunds, no", "a b c"], ["en"] * 5))
    assert got == [["one_letter"], ["two_words"], ["by_form"], [], []]


def test_entities_ru_en_and_products():
    lem = load_lemmatizer()
    rec = EntityRecognizer(EntityOptions(products=("iPhone 15", "Айфон")), lem)
    texts = ["John Smith from London bought an iPhone 15.", "Иван Петров из Москвы вернул айфона в Сбербанк."]
    en, ru = rec(texts, lem(texts, ["en", "ru"]))
    assert ("John Smith", "PER") in [(e.text, e.label) for e in en]
    assert ("London", "LOC") in [(e.text, e.label) for e in en]
    assert ("iPhone 15", "PRODUCT") in [(e.text, e.label) for e in en]
    assert {("Иван Петров", "PER"), ("Москвы", "LOC"), ("айфона", "PRODUCT")} <= {(e.text, e.label) for e in ru}
    for t, ents in zip(texts, (en, ru)):
        assert all(t[e.start : e.end] == e.text for e in ents)


def test_ner_runs_only_where_a_name_could_be():
    from vocsvc.nlp.lemmas import may_name

    stop = {"the", "my", "мой"}
    assert not may_name("the app crashes again . I hate it".split(), stop)
    assert not may_name("My order is late . Thanks".split(), stop)
    assert not may_name("Мой заказ опять опоздал".split(), stop)
    assert may_name("Delta lost my bag".split(), stop)
    assert may_name("seller on eBay sent a fake".split(), stop)
    assert may_name("@ozon_ru где заказ".split(), stop)
    assert may_name("заказ привёз Иван".split(), stop)
    assert not may_name("card [ CARD ] blocked".split(), stop)
