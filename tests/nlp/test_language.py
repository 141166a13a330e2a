from vocsvc.nlp.language import LanguageOptions, load_language_detector


def test_detects_ru_en_and_falls_back():
    d = load_language_detector(LanguageOptions(("ru", "en"), "en"))
    res = d(["Where is my parcel?", "Где моя посылка?", "12345 !!!", "ок", "Заказ не пришёл, thanks"])
    assert [r.lang for r in res] == ["en", "ru", "en", "ru", "ru"]
    assert res[2].confidence == 0.0 and res[0].confidence > 0.5


def test_single_language_config():
    d = load_language_detector(LanguageOptions(("ru",), "ru"))
    assert [r.lang for r in d(["hello", "привет"])] == ["ru", "ru"]
