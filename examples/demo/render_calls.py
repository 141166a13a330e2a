"""Render the demo call recordings (examples/demo/calls/*.ogg) and examples/demo/calls.yaml.

    make deps-apt                                  # espeak-ng, festival (+ Russian voice), sox; and ffmpeg:
    apt-get install ffmpeg                         # Opus encoding
    .venv/bin/python examples/demo/render_calls.py

The voices come from the test synthesiser (tests/audio/synth.py): espeak-ng for English, festival for Russian, the
customer pitch-shifted so that the two parties are two voices. The four calls differ on purpose, for the QA
scorecard (models/qa/scorecard.yaml) and the redaction to show something:

* en-billing-refund (stereo, agent left): a good call: greeting with company and name, empathy, verification
  before account details, announced check, refund, further help offered, polite closing.
* en-outage-cancel (mono): no greeting or name, no empathy, account details without verification, a churn threat
  and a transfer.
* ru-autopay-card (stereo, agent left): a happy customer; the customer dictates a card number (redacted in the
  transcript and silenced in the redacted audio), the agent does not read it back.
* ru-roaming-complaint (mono): a roaming bill complaint and a cancellation threat; no empathy and a forbidden
  phrase ("не моя проблема"), no offer of further help; a partial refund as bonuses.

Customers dictate a card number after the words "номер карты": Whisper writes digit-by-digit dictation as
"4, 2, 7, 6, ..." and the redactor finds a list like that only after such a cue. Phone numbers are not dictated here:
Whisper writes them as "8,916,555, 23,45", which the redactor does not find yet.

Fictional company, people and numbers (the card number is a made-up Luhn-valid one).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "audio"))

from synth import Turn, build_call, have_tools  # the test synthesiser lives outside the package

CALLS = [
    {
        "name": "en-billing-refund", "lang": "en", "layout": "stereo", "agent_channel": "left",
        "agent_id": "agent-sarah", "customer_id": "NW-204518", "days_ago": 1.4,
        "turns": [
            Turn("agent", "Good morning, thank you for calling Northwind Mobile, my name is Sarah. "
                          "How can I help you today?"),
            Turn("customer", "Hi Sarah. You took my payment two times this month, and I am honestly quite "
                             "annoyed about it."),
            Turn("agent", "I am so sorry about that, I understand how frustrating it is. For security, can you "
                          "confirm your full name and date of birth?", 0.7),
            Turn("customer", "Sure. Peter Walsh, born on the fourth of March, nineteen eighty five."),
            Turn("agent", "Thank you, Peter. Let me check your account, one moment please."),
            Turn("agent", "I can see two payments of forty five dollars on the third of June.", 2.5),
            Turn("customer", "Yes, I can see both payments in my banking app."),
            Turn("agent", "I have refunded the duplicate payment. The money will be back on your card within "
                          "three days."),
            Turn("customer", "Oh, wonderful. Thank you so much for your help."),
            Turn("agent", "You are welcome. Is there anything else I can help you with today?"),
            Turn("customer", "No, I am fine, thank you."),
            Turn("agent", "Thank you for calling Northwind Mobile. Have a great day, goodbye."),
        ],
    },
    {
        "name": "en-outage-cancel", "lang": "en", "layout": "mono", "agent_channel": "auto",
        "agent_id": "agent-kevin", "customer_id": "NW-311907", "days_ago": 0.6,
        "turns": [
            Turn("agent", "Northwind support. What is the problem?"),
            Turn("customer", "My home internet stopped working yesterday morning. I work from home, and I could "
                             "not work all day."),
            Turn("agent", "What is your account number?"),
            Turn("customer", "Account number four four eight one two nine."),
            Turn("agent", "Right. There is an outage in your area. The engineers are working on it.", 2.0),
            Turn("customer", "You told me the same thing last week. This is the third outage this month, and I am "
                             "paying for a service I do not get."),
            Turn("agent", "Well, outages happen. There is nothing I can do about it."),
            Turn("customer", "Then I want to cancel my contract. I am switching to another provider."),
            Turn("agent", "I can transfer you to the cancellations team."),
            Turn("customer", "Okay, do it."),
        ],
    },
    {
        "name": "ru-autopay-card", "lang": "ru", "layout": "stereo", "agent_channel": "left",
        "agent_id": "agent-olga", "customer_id": "NW-508334", "days_ago": 3.2,
        "turns": [
            Turn("agent", "Здравствуйте, компания Нордвинд Мобайл, меня зовут Ольга. Чем могу помочь?"),
            Turn("customer", "Здравствуйте, Ольга. Хочу привязать новую карту для автоплатежа, старая закончилась."),
            Turn("agent", "Конечно. Для проверки назовите, пожалуйста, кодовое слово."),
            Turn("customer", "Кодовое слово ромашка."),
            Turn("agent", "Спасибо. Продиктуйте, пожалуйста, номер новой карты."),
            Turn("customer", "Записывайте. Номер карты: четыре два семь шесть, три восемь один пять, "
                             "два девять четыре семь, пять шесть ноль три."),
            Turn("agent", "Спасибо, карта привязана, автоплатёж подключён. Списание будет пятого числа каждого "
                          "месяца.", 1.5),
            Turn("customer", "Отлично, спасибо большое, вы мне очень помогли."),
            Turn("agent", "Рада помочь. Могу ли я ещё чем-то помочь?"),
            Turn("customer", "Нет, это всё."),
            Turn("agent", "Спасибо за звонок, всего доброго, до свидания."),
        ],
    },
    {
        "name": "ru-roaming-complaint", "lang": "ru", "layout": "mono", "agent_channel": "auto",
        "agent_id": "agent-irina", "customer_id": "NW-672015", "days_ago": 5.8,
        "turns": [
            Turn("agent", "Добрый день, компания Нордвинд Мобайл, меня зовут Ирина. Слушаю вас."),
            Turn("customer", "Здравствуйте. Я вернулся из отпуска в Турции, и мне пришёл счёт за роуминг на "
                             "четырнадцать тысяч рублей."),
            Turn("agent", "Назовите, пожалуйста, кодовое слово."),
            Turn("customer", "Кодовое слово: василёк."),
            Turn("agent", "Да, вижу ваш счёт. Роуминг списан по тарифу, и это не моя проблема, что вы не "
                          "подключили пакет.", 1.5),
            Turn("customer", "Это возмутительно. Если вы не вернёте деньги, я уйду к другому оператору."),
            Turn("agent", "Могу предложить вернуть половину суммы бонусами."),
            Turn("customer", "Ладно, давайте так."),
            Turn("agent", "Готово, бонусы зачислены. Спасибо за звонок, до свидания."),
        ],
    },
]

# Opus keeps speech intelligible for Whisper at these rates; four calls stay well under 1 MB.
BITRATE = {"mono": "20k", "stereo": "32k"}


def render(call: dict, out_dir: Path, work: Path) -> Path:
    stereo, mono, _truth = build_call(call["turns"], call["lang"], work, call["name"])
    src = stereo if call["layout"] == "stereo" else mono
    target = out_dir / f"{call['name']}.ogg"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(src), "-c:a", "libopus",
                    "-b:a", BITRATE[call["layout"]], "-ac", "2" if call["layout"] == "stereo" else "1",
                    "-map_metadata", "-1", str(target)], check=True)
    return target


def calls_yaml() -> str:
    lines = ["# Demo call recordings (written by render_calls.py; edit CALLS there and re-run it).",
             "# file is relative to this folder; days_ago sets the call's start (now - days_ago) at load time.",
             "calls:"]
    for c in CALLS:
        lines += [f"  - file: calls/{c['name']}.ogg", f"    language: {c['lang']}",
                  f"    agent_channel: {c['agent_channel']}", f"    agent_id: {c['agent_id']}",
                  f"    customer_id: {c['customer_id']}", f"    days_ago: {c['days_ago']}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    missing = [t for t in ("ffmpeg",) if not shutil.which(t)] + \
        [f"speech tools for {lang}" for lang in ("en", "ru") if not have_tools(lang)]
    if missing:
        print(f"missing: {', '.join(missing)} (run `make deps-apt` and `apt-get install ffmpeg`)", file=sys.stderr)
        return 2
    out_dir = HERE / "calls"
    out_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        for c in CALLS:
            p = render(c, out_dir, Path(td))
            import av

            with av.open(str(p)) as f:
                secs = f.duration / 1e6
            print(f"{p.relative_to(ROOT)}: {secs:.1f} s, {p.stat().st_size / 1024:.0f} KiB")
    (HERE / "calls.yaml").write_text(calls_yaml(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
