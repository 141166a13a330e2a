from vocsvc.nlp.language import LanguageOptions, load_language_detector


def test_detects_ru_en_and_falls_back():
    d = load_language_detector(LanguageOptions(("ru", "en"), "en"))
    res = d(["Where is my parcel?", "Где моя посылка?", "12345 !!!", "ок", "Заказ не пришёл, thanks"])
    assert [r.lang for r in res] == ["en", "ru", "en", "ru", "ru"]
    assert res[2].confidence == 0.0 and res[0].confidence > 0.5


def test_single_language_config():
    d = load_language_detector(LanguageOptions(("ru",), "ru"))
    assert [r.lang for r in d(["hello", "привет"])] == ["ru", "ru"]


def test_handles_links_and_hashtags_do_not_decide():
    d = load_language_detector(LanguageOptions(("ru", "en"), "en"))
    texts = ["@Beeline_RUS_help @mts_support нет сети https://t.co/AbCdEf12",
             "@SberBank_Help_Twitter www.sberbank.com/help опять",
             "#fail #ozon_delivery_support где заказ",
             "@delta_airlines_official где мой багаж?",
             "@Tinkoff_Bank thanks for nothing https://tinkoff.ru/a/b"]
    assert [r.lang for r in d(texts)] == ["ru", "ru", "ru", "ru", "en"]


def test_mostly_cyrillic_with_brand_names_is_russian():
    d = load_language_detector(LanguageOptions(("ru", "en"), "en"))
    res = d(["Apple Pay не работает с картой Visa в приложении iPhone", "WiFi router TP-Link сломался"])
    assert [r.lang for r in res] == ["ru", "en"]


def test_several_latin_languages_use_lingua():
    d = load_language_detector(LanguageOptions(("en", "de", "ru"), "en"))
    res = d(["Mein Paket ist immer noch nicht angekommen, bitte helfen Sie mir",
             "My parcel has still not arrived, please help me", "Посылка не пришла"])
    assert [r.lang for r in res] == ["de", "en", "ru"]
    assert res[0].confidence > 0.5


def test_unknown_language_code_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="unknown language code"):
        load_language_detector(LanguageOptions(("ru", "xx"), "ru"))(["x"])
