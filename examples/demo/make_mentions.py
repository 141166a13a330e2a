"""Write examples/demo/mentions.jsonl: synthetic customer mentions of a fictional operator, Northwind Mobile
(«Нордвинд Мобайл»), in English and Russian. Every text below was written for this demo; names, handles, phone
numbers, e-mail addresses and card numbers are made up (555 numbers, example.* domains, test card numbers).

    python examples/demo/make_mentions.py          # rewrites mentions.jsonl next to this file (deterministic)

Each line is a ``MentionIn`` (vocsvc.service.mentions) without ``created_at``: ``days_ago`` (0..60) stands in for
it and the loader (vocsvc.service.demo) computes ``created_at = now - days_ago``, so the demo always looks recent.
Two themes rise in the last week on purpose (a double-charge incident after a billing change, and app login/crash
problems after release 5.2), so the console has something emerging to show; every other theme is spread evenly.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "mentions.jsonl"
SEED = 20240611

# A group: (theme, sentiment, rising, channels to draw from, product, texts). A text is a string or (text, extras):
# extras fix the channel or add author / rating / nps fields for that one mention.
EN = [
    ("billing", "negative", True, ["social", "review", "chat", "email"], "Billing", [
        "Got charged twice for my May bill. Two identical payments of $45 on the same day. Seriously Northwind??",
        (("@NorthwindMobile you took my monthly payment twice this week and the app still says I owe you money. Fix "
          "it."), {"channel": "social"}),
        "Double charge again. This is the second month in a row. I want my money back today, not in 10 business days.",
        "My bill jumped from 30 to 74 dollars and nobody can tell me why. There's a 'service fee' I never agreed to.",
        (("Anyone else with Northwind seeing a duplicate autopay this week? My bank shows the same amount taken twice "
          "on the 3rd."), {"channel": "social"}),
        "Billed for international calls I never made. I was literally at home the whole month.",
        "they charged my card for a plan I cancelled in march. three months of payments for nothing",
        "Why is there a $9.99 'premium content' charge on my account? I never subscribed to anything.",
        ("Paid my bill on time and still got a late fee. When I asked about it the chat bot just looped me back to "
         "the main menu."),
        "Autopay took $120 instead of $40. Overdraft fees on my bank account now, thanks a lot Northwind.",
        "I was promised a loyalty discount on the phone, it never showed up on the invoice. Third time I'm asking.",
        ("Your new billing system is a mess. Two invoices for the same period, different amounts, and support can't "
         "explain either."),
        "Just checked my statement and I've been paying for a second line that doesn't exist. Since January!",
        "Double charged for the phone instalment too. How does a telecom company not know how to bill people once?",
        (("Northwind has double-billed half my followers apparently, my DMs are full of screenshots. @NorthwindMobile "
          "what's going on?"), {"channel": "social", "author": {"handle": "dana_reviews_tech", "followers": 128000,
                                                              "is_vip": True}}),
        (("Posting this here since chat ignores me: the refund should go to card 4111 1111 1111 1111, not the old "
          "one. Please fix."), {"channel": "social"}),
    ]),
    ("app", "negative", True, ["review", "review", "social"], "Northwind app", [
        "Since the last update the app crashes as soon as I open the billing tab. Pixel 7, Android 14.",
        "App won't let me log in. It says it sent an SMS code but nothing arrives. Tried five times.",
        ("1 star. The new version logs me out every single time I switch apps and the code takes ages to come.",
         {"channel": "review", "rating": 1}),
        "Verification code never arrives when I'm on wifi abroad, so I literally can't access my own account.",
        "The update broke Face ID login. Now I have to type the password and wait for the SMS every time. Useless.",
        "App freezes on the splash screen. Reinstalled twice, cleared cache, nothing helps.",
        "Can't top up through the app, payment page spins forever and then says 'unknown error 502'.",
        "The app shows my data balance as zero even though I just bought a 10 GB add-on.",
        "Why does the login code expire after 30 seconds when it takes two minutes to arrive??",
        "Version 5.2 is a disaster. Crashes on iPhone 13 every time I open usage details.",
        "Keep getting 'session expired' on the app. I've been trying to pay my bill for an hour.",
        ("The app asked me to verify my identity with a code sent to my OLD number. Which I no longer have. Now I'm "
         "locked out."),
        ("Dark mode makes half the text in the app invisible. Small thing but annoying.", {"rating": 2}),
        "Notifications spam me with offers but I never get the notification that my bill is due. Priorities.",
        (("Reviewing phone networks for my channel this month. Northwind's app crashed 4 times during a 10-minute "
          "test. Not a great look."), {"channel": "social", "author": {"handle": "gadgetgrid", "followers": 310000,
                                                                       "is_vip": True}}),
        (("My mentions are full of people locked out of the Northwind app because SMS codes don't arrive. Third day "
          "now."), {"channel": "social", "author": {"handle": "lena_writes_about_money", "followers": 85000}}),
    ]),
    ("network", "negative", False, ["social", "review", "chat"], "Home Fibre", [
        "Home fibre has been crawling all week. Paying for 500 Mbps and getting 12 in the evening.",
        ("No signal in my apartment at all. I have to stand by the window to send a text. In a capital city.",
         {"product": "Mobile"}),
        ("Mobile data is basically dead on the commuter train between the city and the suburbs. Every day.",
         {"product": "Mobile"}),
        "Internet's been down since yesterday morning and the status page says 'all systems operational'. Lol.",
        ("Calls drop every time I walk into my office building. Colleagues on other networks have no issues.",
         {"product": "Mobile"}),
        ("5G icon shows up but speeds are worse than my old 4G. What exactly am I paying extra for?",
         {"product": "Unlimited Plus"}),
        "Router keeps rebooting itself at night. Technician visit was booked and then cancelled twice without notice.",
        ("Coverage map says excellent in my area. Reality: one bar and constant buffering.", {"product": "Mobile"}),
        "Outage again in the north district. Working from home is impossible with you guys.",
        "Latency is through the roof in the evenings, online gaming is unplayable. Ping 300+.",
        ("My parents' village has zero Northwind coverage despite your ads saying 98% of the country.",
         {"product": "Mobile"}),
        "Speed test at 9pm: 3 Mbps down. On a 'gigabit' plan. I want a discount for this month.",
        ("Text me at +1 555 0199 231 when the outage is fixed, I'm not waiting on hold again.",
         {"channel": "chat"}),
    ]),
    ("support", "negative", False, ["social", "review", "survey", "chat"], "Customer care", [
        "Waited 47 minutes on hold to be told they can't help and I need to visit a store.",
        "The agent hung up on me mid sentence. Called back, another 30 minutes in the queue.",
        "Chat support just copy-pastes the same template answer no matter what I ask.",
        "Support rep was incredibly rude, told me it's 'my problem' that the bill is wrong. Unacceptable.",
        "Called three times, got three different answers. Nobody at Northwind knows what the others are doing.",
        "The callback I was promised 'within 24 hours' never happened. It's been 4 days.",
        ("Store staff refused to help with my SIM swap and sent me to the hotline. Hotline sent me back to the "
         "store."),
        "Your support line closes at 8pm?? Internet outages don't keep office hours.",
        "Spent my whole lunch break on hold listening to the same 20 seconds of music. Ridiculous.",
        ("Agent promised a refund, refund never came, and now there's no record of the conversation. Great.",
         {"product": "Billing"}),
        "I asked to speak to a supervisor and was told none was available. For two days.",
        "The chatbot is the worst. Asks for my account number, then asks again, then says it can't find it.",
    ]),
    ("roaming", "negative", False, ["social", "chat", "email", "review"], "Travel Pass", [
        "Came back from a week in Turkey to a $230 roaming bill. Nobody warned me, no SMS, nothing.",
        "Your roaming pass is a rip-off. 1 GB for $25 and it runs out in a day.",
        "Roaming was supposed to be included in my plan for the EU. Charged anyway.",
        "Got a welcome SMS in Spain with roaming prices, turned data off, still got charged for 'background data'.",
        ("Travel Pass activated but data didn't work for the first 2 days of my trip. Support said to restart the "
         "phone. Did that 10 times."),
        "Roaming prices are double what competitors charge. Seriously considering switching before my summer trip.",
    ]),
    ("churn", "negative", False, ["social", "email", "chat", "review"], None, [
        "That's it, I'm switching to Contoso Telecom. 8 years as a customer and this is how you treat me.",
        "If my refund isn't back by Friday I'm cancelling my contract and taking my whole family with me.",
        "Done with Northwind. Porting my number out this weekend. Good luck with the 'new billing system'.",
        "Seriously thinking about leaving. Fabrikam offers the same plan for $10 less and their app actually works.",
        ("Please tell me how to terminate my contract without paying the early exit fee, because I'm leaving.",
         {"channel": "email"}),
        "Third outage this month. I'm going to cancel and go back to my old provider.",
        ("Cancel my account. I'm not asking again. I've sent this request by email twice already.",
         {"channel": "email"}),
        ("You have until the end of the month to fix my bill or I'm taking my business elsewhere. And I'll tell "
         "everyone why."),
        "Never again. Worst provider I've ever had, and I've had a few.",
        ("My employer pays for 40 lines with you. After this week I'll recommend we move to another operator.",
         {"channel": "email", "product": "Business"}),
        (("I'm cancelling. Called 4 times about the same bill, got nowhere. You can reach me at mark.demo@example.org "
          "if anyone from Northwind actually cares."), {"channel": "social"}),
    ]),
    ("orders", "negative", False, ["chat", "email", "social", "review"], "SIM & eSIM", [
        "Ordered a new SIM 9 days ago, still 'in processing'. I need it for my new phone.",
        ("Courier came with the SIM card when I was at work, and now it's been 'returned to sender'. No way to "
         "reschedule online."),
        ("The eSIM QR code you emailed doesn't work. Store says they can't reissue it. So I have a phone with no "
         "service."),
        ("You changed my tariff without asking. New price is 20% higher and I got a tiny SMS about it.",
         {"product": "Tariffs"}),
        ("Promised refund of $60 is still 'pending' after 3 weeks.", {"product": "Billing"}),
        ("Refund went to a card that was closed months ago. Now the money is just... gone?", {"product": "Billing"}),
        ("The 'free' router upgrade came with a new 24-month contract hidden in the small print.",
         {"product": "Home Fibre"}),
        ("My tariff 'Unlimited Plus' is apparently not unlimited. Throttled to 1 Mbps after 50 GB.",
         {"product": "Unlimited Plus"}),
        ("Got an SMS that my number will be blocked for unpaid bills. I have paid. Twice, actually.",
         {"product": "Billing"}),
        ("Family plan change took effect from the wrong date and I got billed for both plans.",
         {"product": "Family Plan"}),
        "SIM activation failed, store says it's a system issue, come back tomorrow. That was three days ago.",
        "Ported my number to you and lost all incoming calls for 5 days. Missed a job interview because of it.",
    ]),
    ("questions", "neutral", False, ["chat", "email", "social"], None, [
        ("Does the Travel Pass work in Georgia or only in the EU?", {"product": "Travel Pass"}),
        ("How do I change the payment date for autopay? Can't find it in the app.", {"product": "Billing"}),
        "Is 5G available in the Riverside area yet?",
        ("What's the difference between Unlimited and Unlimited Plus apart from the price?",
         {"product": "Unlimited Plus"}),
        "Can I keep my number if I move from prepaid to a contract?",
        "Thinking of switching to Northwind from another operator. How long does porting a number usually take?",
        ("Is there a way to get paper invoices? My dad doesn't use email.", {"product": "Billing"}),
        ("When will the eSIM be available for Apple Watch?", {"product": "SIM & eSIM"}),
        ("Got a new phone, do I need a new SIM or does the old one work?", {"product": "SIM & eSIM"}),
        ("The survey asked me to rate support. It was ok, nothing special.", {"channel": "survey", "nps": 6}),
        ("Average experience. Coverage fine in the city, meh outside of it.", {"channel": "review", "rating": 3}),
        ("Prices went up a bit this year, like everyone else's.", {"channel": "survey", "nps": 7}),
        ("I need an invoice with my company's VAT number for April, where do I request it?",
         {"channel": "email", "product": "Business"}),
        ("Will my unused data roll over to next month on the Family Plan?", {"product": "Family Plan"}),
        "How do I block international calls on my son's line?",
        "Hi, what's the status of the outage in the east district? Any ETA?",
        "Is there a student discount?",
        ("App works. Bill is what I expected. Nothing to add.", {"channel": "survey", "nps": 7}),
        ("Moving flats next month, how do I transfer my home internet to the new address?",
         {"product": "Home Fibre"}),
        ("Can someone explain the 'network access fee' line on my invoice? Not complaining, just curious.",
         {"product": "Billing"}),
        ("Does the router you provide support WiFi 6?", {"product": "Home Fibre"}),
        "Which plans include hotspot/tethering?",
        "I have 2 lines, can I merge them into one account?",
        ("Checking whether Northwind offers business plans for a 5-person team.", {"product": "Business"}),
        ("What are the roaming rates for the US on the standard plan?", {"product": "Travel Pass"}),
        ("Support answered in about 10 minutes. Fine.", {"channel": "survey", "nps": 7}),
        ("Score 7 because the service is ok but the price could be lower.", {"channel": "survey", "nps": 7}),
        ("Used the chat to change my address. Took a while but done.", {"channel": "survey", "nps": 6}),
        ("Where can I find the PUK code for my SIM?", {"product": "SIM & eSIM"}),
        ("Is it possible to pause my home internet for two months while I'm abroad?", {"product": "Home Fibre"}),
        "Heard there's a new Northwind tariff launching in June, any details?",
        ("Neutral overall. Some days the connection is great, some days not.", {"channel": "review", "rating": 3}),
        "Do you have a physical store in Lakeside mall or did it close?",
        "What happens to my number if I don't top up my prepaid SIM for 6 months?",
        ("Please send the contract copy to my email anna.k.demo@example.com, thanks.", {"channel": "email"}),
        ("Could someone call me back about the business offer? +1 555 0142 889, after 3pm is best.",
         {"channel": "email", "product": "Business"}),
    ]),
    ("praise", "positive", False, ["review", "social", "survey", "chat"], None, [
        (("Shout out to Maria from Northwind support who fixed my double charge in 5 minutes and even added a credit "
          "for the trouble."), {"product": "Customer care"}),
        ("Honestly the best customer service I've had from a phone company. Quick, polite, problem solved.",
         {"product": "Customer care"}),
        ("5G in the city centre is insanely fast. 800 Mbps on my phone, didn't think that was possible.",
         {"product": "Unlimited Plus"}),
        "Switched to Northwind last month and coverage at my cottage is finally decent. Very happy.",
        ("The new app is clean and I can see exactly where my data goes. Nice job.", {"product": "Northwind app"}),
        ("Refund arrived in 2 days, faster than promised. Thanks!", {"product": "Billing"}),
        ("Ordered a SIM at 10am, the courier delivered it the same afternoon. Impressive.",
         {"product": "SIM & eSIM"}),
        ("eSIM activation took literally one minute. Scanned the code, done.", {"product": "SIM & eSIM"}),
        ("Great value for the Family Plan, 4 lines and we never run out of data.", {"product": "Family Plan"}),
        ("Travel Pass worked perfectly in Italy, no surprises on the bill. Will use again.",
         {"product": "Travel Pass"}),
        ("Technician was on time, friendly, and explained everything about the new router. 5 stars.",
         {"channel": "review", "rating": 5, "product": "Home Fibre"}),
        ("Thank you for the free upgrade to fibre! The difference is night and day.", {"product": "Home Fibre"}),
        "I was ready to leave but the retention team offered a fair deal and actually listened. Staying.",
        ("Chat agent Tom sorted my tariff change in minutes. Wish all companies were like this.",
         {"product": "Tariffs"}),
        "Reliable network, I barely think about it, which is exactly how it should be.",
        ("Love that I can pause my line in the app when I travel. Super handy.", {"product": "Northwind app"}),
        "Support called me back exactly when they said they would. Small thing, big difference.",
        ("Been a customer for 6 years. Not perfect, but always fixed things when I asked.",
         {"channel": "survey", "nps": 8}),
        ("Internet has been rock solid since the outage last month. Thanks for the compensation credit too.",
         {"product": "Home Fibre"}),
        "The store staff in Central Station helped my grandma set up her phone. So patient and kind.",
        ("Roaming in Turkey was cheaper than I expected and the SMS with prices was clear.",
         {"product": "Travel Pass"}),
        ("10/10 would recommend. Signal everywhere I go, even in the metro.", {"channel": "survey", "nps": 10}),
        ("App update fixed the login issue for me. Codes come instantly now.",
         {"channel": "review", "rating": 4, "product": "Northwind app"}),
        "Very happy with the switch from Contoso. Porting my number took less than a day.",
        ("The loyalty discount finally showed up on my bill. Thank you for sorting it.", {"product": "Billing"}),
        "Clear bills, no hidden fees, friendly people. That's all I want from a provider.",
        ("Quick answer on Twitter, problem solved in DMs. Appreciate it @NorthwindMobile", {"channel": "social"}),
        ("Gigabit plan actually delivers gigabit. Measured 930 Mbps on cable.", {"product": "Home Fibre"}),
        "Agent was super patient with me while I figured out my old account password. Thanks Jess!",
        ("Northwind's 5G home internet is a game changer out here where there's no cable.",
         {"product": "Home Fibre"}),
        ("Easy to upgrade my plan in the app, took 30 seconds and the new data was there immediately.",
         {"product": "Northwind app"}),
        ("Good prices, good coverage, the app could be better but overall I'm satisfied.",
         {"channel": "review", "rating": 4}),
        ("Got my double charge refunded after one chat. Annoying it happened, but they handled it well.",
         {"product": "Billing", "rising": True}),
        "Finally a provider that doesn't hold you hostage with contracts. Month-to-month and fair.",
        "I get a great signal even in the underground car park at work. Impressive.",
        ("Kids' lines with parental controls set up in the app in minutes. Peace of mind.",
         {"product": "Family Plan"}),
        ("Northwind fixed our office internet outage in under 2 hours on a Sunday. Respect.",
         {"product": "Business"}),
        ("The new Unlimited Plus is worth every penny. Streaming on the train with no buffering.",
         {"product": "Unlimited Plus"}),
        "Support chat answered in 2 minutes on a Saturday night. Didn't expect that.",
        ("Tariff change went smoothly and the pro-rated bill was exactly as explained.", {"product": "Tariffs"}),
        ("Would give 6 stars if I could. Helpful staff, fast network, fair prices.",
         {"channel": "review", "rating": 5}),
        ("Thanks to the agent who waived my roaming charges after I explained the situation. Really kind.",
         {"product": "Travel Pass"}),
        "Cheapest plan that still has decent data. Perfect for my mum.",
        ("I like that the invoices are simple now. One page, no surprises.", {"product": "Billing"}),
        ("New SIM delivered to a parcel locker, picked up on my way home. Convenient.", {"product": "SIM & eSIM"}),
        ("Very smooth onboarding, welcome call was short and useful.", {"channel": "survey", "nps": 9}),
        "Best network at festivals this summer, my friends on other networks had no signal.",
        ("Thank you Northwind for the quick fix, internet is back and faster than before.",
         {"product": "Home Fibre"}),
        ("Testing 5G across 12 cities: Northwind was the fastest in 8 of them. Full video tomorrow.",
         {"channel": "social", "author": {"handle": "gadgetgrid", "followers": 310000, "is_vip": True}}),
        "Props to the Northwind team for the outage updates by SMS, at least we knew what was going on.",
        "My bill went down after the agent suggested a cheaper plan that fits my usage better. Who does that? Thanks!",
        "Wifi calling works great in my basement flat, no more missed calls.",
        ("Five years, zero problems with billing. Just wanted to say it.", {"channel": "survey", "nps": 10}),
        "Agent Daniel stayed on the line until my new phone was fully set up. Above and beyond.",
        ("The in-app chat is actually good now. Got a human in under 5 minutes.", {"product": "Northwind app"}),
        ("Happy with the 5G upgrade, no extra cost and noticeably faster in town.", {"product": "Unlimited Plus"}),
        "Great experience at the store, got a new SIM and a screen protector in 10 minutes.",
        "Switching to Northwind was the best decision this year. Half the price of my old plan.",
        "Network was solid all weekend at the stadium. Posted videos with no trouble.",
        "Thanks for extending my contract discount, really appreciate being valued as a long-term customer.",
        "Got a refund for the outage days without even asking. That's how you keep customers.",
    ]),
]

RU = [
    ("billing", "negative", True, ["social", "review", "chat", "email"], "Billing", [
        "Нордвинд, вы серьёзно? Списали абонентку два раза за один день, 650 рублей дважды.",
        "Второй месяц подряд двойное списание по автоплатежу. Верните деньги, сколько можно.",
        "Пришёл счёт на 1800 вместо обычных 600. В поддержке никто не может объяснить, откуда эти цифры.",
        ("У кого ещё сегодня Нордвинд снял оплату дважды? У меня в банковском приложении две одинаковые операции.",
         {"channel": "social"}),
        "Списали за подписку, которую я не подключал. Какой-то «Музыкальный пакет», 299 р в месяц.",
        "Оплатил вовремя, а мне начислили пени. Чат-бот отвечает шаблонами, живого человека не дозваться.",
        "Обещали скидку за лояльность, в счёте её нет уже третий месяц.",
        "С нового биллинга пришло два счёта за один период, суммы разные. Какой из них платить?",
        "Оказывается, я полгода платил за вторую сим-карту, которой у меня никогда не было.",
        "Автоплатёж снял 3000 вместо 900, карта ушла в минус. Спасибо, очень вовремя.",
        "Деньги за тариф списали, а пакет минут так и не начислили.",
        "Заблокировали номер за неуплату, хотя я всё оплатил ещё пятого числа. Чек есть.",
        "Двойное списание за рассрочку телефона. Вы там вообще проверяете, что делаете?",
        (("Мне в личку пишут десятки подписчиков, что Нордвинд списал с них деньги дважды. @nordwind_mobile, что "
          "происходит?"), {"channel": "social", "author": {"handle": "finansy_bez_paniki", "followers": 150000,
                                                            "is_vip": True}}),
        ("Верните деньги на карту 2200 7001 2345 6789, а не на старую, я же писал об этом в чат.",
         {"channel": "social"}),
    ]),
    ("app", "negative", True, ["review", "review", "social"], "Northwind app", [
        "После обновления приложение вылетает при входе в раздел «Расходы». Samsung A52.",
        "Не приходит смс с кодом для входа в личный кабинет. Пробовал раз десять.",
        ("Приложение постоянно выкидывает из аккаунта, и каждый раз жди код по смс. Одна звезда.",
         {"channel": "review", "rating": 1}),
        "Код подтверждения действует 30 секунд, а приходит через две минуты. Гениально.",
        "Новая версия приложения просто не запускается, висит на заставке. Переустанавливал дважды.",
        "В приложении баланс показывает ноль, хотя я только что пополнил на 500 рублей.",
        "Не могу оплатить через приложение: крутится загрузка, потом «неизвестная ошибка».",
        "Сломали вход по отпечатку. Теперь каждый раз пароль и смс. Зачем так делать?",
        "Приложение требует код, который приходит на старый номер. Номера у меня давно нет. Доступ потерян.",
        "Версия 5.2 — это катастрофа. Вылетает на айфоне каждый раз при открытии деталей трафика.",
        "Уже час не могу зайти в личный кабинет, пишет «сессия истекла».",
        "Пуши с рекламой приходят по три раза в день, а напоминание об оплате — ни разу.",
        ("Тёмная тема в приложении: половина текста не читается.", {"rating": 2}),
        ("Тестирую операторов для канала: приложение Нордвинд упало четыре раза за десять минут. Так себе.",
         {"channel": "social", "author": {"handle": "tehnoobzor_max", "followers": 240000, "is_vip": True}}),
    ]),
    ("network", "negative", False, ["social", "review", "chat"], "Home Fibre", [
        "Домашний интернет всю неделю еле живой. Тариф на 500 мегабит, по вечерам выдаёт 10.",
        ("В квартире вообще нет связи, чтобы позвонить, выхожу на балкон. Москва, не тайга.", {"product": "Mobile"}),
        ("В электричке мобильный интернет пропадает на всём пути до дачи. Каждый день одно и то же.",
         {"product": "Mobile"}),
        "Интернета нет со вчерашнего утра, а на сайте пишут, что всё работает. Смешно.",
        ("Звонки обрываются, как только захожу в бизнес-центр. У коллег с другими операторами всё нормально.",
         {"product": "Mobile"}),
        ("Значок 5G горит, а скорость хуже, чем была на 4G. За что доплачиваю?", {"product": "Unlimited Plus"}),
        "Роутер перезагружается каждую ночь. Мастер дважды не пришёл в назначенное время.",
        ("По карте покрытия у нас «отлично», по факту одна палка и всё грузится вечность.", {"product": "Mobile"}),
        "Опять авария в Северном районе. Работать из дома невозможно.",
        "Пинг под 300 по вечерам, играть нельзя вообще.",
        ("В деревне у родителей Нордвинд не ловит вообще, а в рекламе 98% покрытия.", {"product": "Mobile"}),
        "Спидтест в девять вечера: 3 мегабита. На гигабитном тарифе. Хочу перерасчёт.",
        (("Перезвоните мне, пожалуйста, на +7 916 555-01-23, на линии ждать больше не могу, интернета нет третий "
          "день."), {"channel": "chat"}),
    ]),
    ("support", "negative", False, ["social", "review", "survey", "chat"], "Customer care", [
        "Сорок минут висел на линии, чтобы услышать «обратитесь в салон».",
        "Оператор бросил трубку посреди разговора. Перезвонил — ещё полчаса ожидания.",
        "В чате поддержки отвечают одним и тем же шаблоном, что бы ты ни спросил.",
        "Сотрудник нахамил и сказал, что ошибка в счёте — это мои проблемы. Это вообще нормально?",
        "Звонил три раза, получил три разных ответа. Левая рука не знает, что делает правая.",
        "Обещали перезвонить в течение суток. Прошло четыре дня, тишина.",
        "В салоне отказались менять сим-карту, отправили на горячую линию, а горячая линия — обратно в салон.",
        "Поддержка работает до восьми вечера? Интернет ломается не по расписанию.",
        "Весь обеденный перерыв слушал одну и ту же мелодию на удержании.",
        ("Обещали вернуть деньги, деньги не вернули, а в истории обращений записи нет. Прекрасно.",
         {"product": "Billing"}),
        "Попросил соединить с руководителем — «сейчас никого нет». Второй день подряд.",
        "Бот в чате трижды спрашивает номер договора и потом говорит, что не может его найти.",
    ]),
    ("roaming", "negative", False, ["social", "chat", "email", "review"], "Travel Pass", [
        "Вернулся из Турции, а там счёт за роуминг на 14 тысяч. Ни одного предупреждения.",
        "Пакет для поездок — грабёж. 1 ГБ за 1500 рублей, и он заканчивается за день.",
        "Отключил передачу данных в роуминге, всё равно списали за «фоновый трафик».",
        "Подключил пакет для путешествий, а интернет заработал только на третий день поездки.",
        "Цены на роуминг в два раза выше, чем у конкурентов. Думаю уходить перед отпуском.",
        "В Грузии роуминг не работал вообще, хотя в приложении написано, что страна входит в пакет.",
    ]),
    ("churn", "negative", False, ["social", "email", "chat", "review"], None, [
        "Всё, ухожу к другому оператору. Восемь лет был вашим клиентом, и вот такое отношение.",
        "Если до пятницы не вернёте деньги, расторгну договор и переведу всю семью к конкурентам.",
        "Надоело. На выходных переношу номер к другому оператору.",
        "Подумываю сменить оператора: у Фабрикам тот же тариф на 200 рублей дешевле и приложение работает.",
        ("Как расторгнуть договор без штрафа? Я ухожу, хватит.", {"channel": "email"}),
        "Третья авария за месяц. Откажусь от услуг и вернусь к старому провайдеру.",
        ("Закройте мой лицевой счёт. Пишу уже третий раз, никто не реагирует.", {"channel": "email"}),
        "Больше никогда не подключусь к Нордвинду и всем знакомым отсоветую.",
        ("Наша компания держит у вас 40 номеров. После этой недели буду предлагать руководству сменить оператора.",
         {"channel": "email", "product": "Business"}),
        "Даю вам время до конца месяца исправить счёт, иначе ухожу к Контосо.",
        ("Ухожу от вас. Если кому-то из Нордвинда не всё равно, пишите на ivan.demo@example.ru.",
         {"channel": "social"}),
    ]),
    ("orders", "negative", False, ["chat", "email", "social", "review"], "SIM & eSIM", [
        "Заказал сим-карту девять дней назад, статус всё ещё «в обработке».",
        "Курьер привёз симку, когда я был на работе, и её вернули отправителю. Перенести доставку на сайте нельзя.",
        "QR-код для eSIM из письма не работает, в салоне сказали, что перевыпустить не могут. Телефон без связи.",
        ("Поменяли мне тариф без спроса, теперь на 20% дороже. Уведомили одной смской.", {"product": "Tariffs"}),
        ("Возврат 2000 рублей висит «в обработке» уже три недели.", {"product": "Billing"}),
        ("Безлимитный тариф оказался не таким уж безлимитным: после 50 ГБ скорость режут до 1 мегабита.",
         {"product": "Unlimited Plus"}),
        "Перенёс номер к вам и пять дней не мог принимать входящие. Пропустил звонок с собеседования.",
        "Активация сим-карты не прошла, в салоне говорят «сбой системы, приходите завтра». Это было три дня назад.",
        ("Семейный тариф применили не с той даты, в итоге выставили счёт за оба тарифа.",
         {"product": "Family Plan"}),
        ("«Бесплатная» замена роутера оказалась с новым договором на два года мелким шрифтом.",
         {"product": "Home Fibre"}),
    ]),
    ("questions", "neutral", False, ["chat", "email", "social"], None, [
        ("Пакет для поездок работает в Армении или только в Европе?", {"product": "Travel Pass"}),
        ("Как поменять дату автоплатежа? В приложении не нахожу.", {"product": "Billing"}),
        "5G в Заречном районе уже есть?",
        ("Чем «Безлимит» отличается от «Безлимит Плюс», кроме цены?", {"product": "Unlimited Plus"}),
        "Сохранится ли номер, если перейти с предоплаты на контракт?",
        "Хочу перейти к вам от другого оператора. Сколько обычно занимает перенос номера?",
        ("Можно получать бумажные счета? Мама не пользуется почтой.", {"product": "Billing"}),
        ("Купил новый телефон, нужна новая симка или старая подойдёт?", {"product": "SIM & eSIM"}),
        ("Нормально. Связь в городе есть, за городом так себе.", {"channel": "review", "rating": 3}),
        ("Цены в этом году немного выросли, как и у всех.", {"channel": "survey", "nps": 7}),
        ("Нужен счёт с реквизитами организации за апрель, куда обращаться?",
         {"channel": "email", "product": "Business"}),
        ("Остаток трафика переносится на следующий месяц на семейном тарифе?", {"product": "Family Plan"}),
        "Как запретить международные звонки на номере ребёнка?",
        "Есть информация по аварии в Восточном районе? Когда починят?",
        "Есть ли скидка для студентов?",
        ("Приложение работает, счёт как обычно. Добавить нечего.", {"channel": "survey", "nps": 7}),
        ("Переезжаю в следующем месяце, как перенести домашний интернет на новый адрес?",
         {"product": "Home Fibre"}),
        ("Что за строка «плата за доступ к сети» в счёте? Не жалуюсь, просто интересно.", {"product": "Billing"}),
        ("Поддерживает ли ваш роутер Wi-Fi 6?", {"product": "Home Fibre"}),
        "На каких тарифах можно раздавать интернет с телефона?",
        "У меня два номера, можно объединить их в один лицевой счёт?",
        ("Есть ли у вас тарифы для малого бизнеса, на 5 сотрудников?", {"product": "Business"}),
        ("Поддержка ответила минут за десять. Нормально.", {"channel": "survey", "nps": 7}),
        ("Ставлю 7: связь нормальная, но цена могла бы быть ниже.", {"channel": "survey", "nps": 7}),
        ("Через чат поменял адрес. Долго, но сделали.", {"channel": "survey", "nps": 6}),
        ("Где найти PUK-код от сим-карты?", {"product": "SIM & eSIM"}),
        ("Можно ли приостановить домашний интернет на два месяца, пока я в отъезде?", {"product": "Home Fibre"}),
        "Слышал, что в июне будет новый тариф. Есть подробности?",
        ("В целом нейтрально. Иногда связь отличная, иногда не очень.", {"channel": "review", "rating": 3}),
        "Салон в ТЦ «Лесной» ещё работает или закрылся?",
        "Что будет с номером, если полгода не пополнять баланс?",
        ("Пришлите, пожалуйста, копию договора на почту olga.demo@example.ru.", {"channel": "email"}),
        ("Перезвоните по поводу корпоративного тарифа: 8 (495) 555-44-21, лучше после обеда.",
         {"channel": "email", "product": "Business"}),
        ("Когда eSIM будет доступна для часов?", {"product": "SIM & eSIM"}),
    ]),
    ("praise", "positive", False, ["review", "social", "survey", "chat"], None, [
        ("Огромное спасибо Марии из поддержки: разобралась с двойным списанием за пять минут и ещё начислила бонус.",
         {"product": "Customer care"}),
        ("Лучшая поддержка из всех операторов, что у меня были. Быстро, вежливо, всё решили.",
         {"product": "Customer care"}),
        ("5G в центре просто космос: 800 мегабит на телефоне.", {"product": "Unlimited Plus"}),
        "Перешёл к Нордвинду месяц назад, на даче наконец-то нормальная связь. Очень доволен.",
        ("Новое приложение удобное, сразу видно, куда уходит трафик. Молодцы.", {"product": "Northwind app"}),
        ("Деньги вернули за два дня, быстрее, чем обещали. Спасибо!", {"product": "Billing"}),
        ("Заказал симку утром, курьер привёз в тот же день. Впечатляет.", {"product": "SIM & eSIM"}),
        ("eSIM подключил буквально за минуту: отсканировал код, и готово.", {"product": "SIM & eSIM"}),
        ("Семейный тариф: отличное соотношение цены и качества, на четверых трафика хватает с запасом.",
         {"product": "Family Plan"}),
        ("Пакет для поездок отлично работал в Италии, никаких сюрпризов в счёте.", {"product": "Travel Pass"}),
        ("Мастер пришёл вовремя, всё объяснил про новый роутер. Пять звёзд.",
         {"channel": "review", "rating": 5, "product": "Home Fibre"}),
        ("Спасибо за бесплатный переход на оптику! Разница колоссальная.", {"product": "Home Fibre"}),
        "Хотел уйти, но в отделе удержания предложили нормальные условия и реально выслушали. Остаюсь.",
        ("Оператор Антон поменял мне тариф за пару минут. Побольше бы таких сотрудников.", {"product": "Tariffs"}),
        "Связь стабильная, я про неё вообще не вспоминаю. Так и должно быть.",
        ("Очень удобно, что номер можно заблокировать на время поездки прямо в приложении.",
         {"product": "Northwind app"}),
        "Перезвонили ровно тогда, когда обещали. Мелочь, а приятно.",
        ("Клиент уже шесть лет. Не идеально, но все проблемы всегда решали.", {"channel": "survey", "nps": 8}),
        ("После аварии в прошлом месяце интернет работает как часы. И за компенсацию спасибо.",
         {"product": "Home Fibre"}),
        "Сотрудники в салоне на вокзале помогли бабушке настроить телефон. Очень терпеливые и добрые.",
        ("Роуминг в Турции оказался дешевле, чем я думал, и смс с ценами понятная.", {"product": "Travel Pass"}),
        ("Рекомендую. Связь везде, даже в метро.", {"channel": "survey", "nps": 10}),
        ("После обновления приложения коды приходят мгновенно, вход починили. Спасибо.",
         {"channel": "review", "rating": 4, "product": "Northwind app"}),
        "Перенос номера от старого оператора занял меньше суток. Очень доволен.",
        ("Скидка за лояльность наконец появилась в счёте. Спасибо, что разобрались.", {"product": "Billing"}),
        "Понятные счета, никаких скрытых платежей, приветливые люди. Больше ничего и не надо.",
        ("Гигабитный тариф реально выдаёт гигабит, по кабелю намерил 930.", {"product": "Home Fibre"}),
        "Оператор очень терпеливо помогала мне восстановить доступ к личному кабинету. Спасибо, Елена!",
        ("Домашний интернет через 5G: спасение для частного дома, где нет кабеля.", {"product": "Home Fibre"}),
        ("Сменил тариф в приложении за 30 секунд, новый пакет сразу появился.", {"product": "Northwind app"}),
        ("Цены хорошие, связь хорошая, приложение могло бы быть лучше, но в целом доволен.",
         {"channel": "review", "rating": 4}),
        ("Двойное списание вернули после одного обращения в чат. Неприятно, но отработали хорошо.",
         {"product": "Billing", "rising": True}),
        "Связь ловит даже на подземной парковке у работы. Уважаю.",
        ("Настроил детям родительский контроль в приложении за пару минут. Спокойно.", {"product": "Family Plan"}),
        ("Починили интернет в офисе за два часа в воскресенье. Респект.", {"product": "Business"}),
        ("«Безлимит Плюс» стоит своих денег: смотрю сериалы в электричке без подвисаний.",
         {"product": "Unlimited Plus"}),
        "Чат поддержки ответил за две минуты в субботу вечером. Не ожидал.",
        ("Смена тарифа прошла гладко, перерасчёт ровно такой, как объяснили.", {"product": "Tariffs"}),
        ("Спасибо сотруднику, который списал мне роуминг, когда я объяснил ситуацию. Очень по-человечески.",
         {"product": "Travel Pass"}),
        "Самый дешёвый тариф, где нормальный интернет. Маме идеально.",
        ("Сим-карту привезли в постамат, забрал по дороге домой. Удобно.", {"product": "SIM & eSIM"}),
        "На фестивале связь была только у Нордвинда, у друзей с другими операторами всё лежало.",
        ("Спасибо за быстрый ремонт, интернет вернулся и стал даже быстрее.", {"product": "Home Fibre"}),
        "Звонки по Wi-Fi в подвальной квартире: просто спасение.",
        ("Пять лет без единой проблемы со счетами. Просто хотел сказать.", {"channel": "survey", "nps": 10}),
        "Оператор Дмитрий не положил трубку, пока новый телефон полностью не заработал. Супер.",
        ("Чат в приложении стал нормальным, живой человек ответил меньше чем за пять минут.",
         {"product": "Northwind app"}),
        ("Перешёл на 5G без доплаты, в городе заметно быстрее.", {"product": "Unlimited Plus"}),
        "Сотрудник предложил тариф дешевле под мой расход. Кто так вообще делает? Спасибо!",
        "Вернули деньги за дни без интернета, даже просить не пришлось. Вот так и удерживают клиентов.",
        ("Сравнил 5G в 12 городах: Нордвинд быстрее всех в восьми. Видео завтра.",
         {"channel": "social", "author": {"handle": "tehnoobzor_max", "followers": 240000, "is_vip": True}}),
        ("Доставка сим-карты за час, курьер вежливый. Отлично.", {"product": "SIM & eSIM"}),
        ("Поддержка в телеграме отвечает быстро и по делу, спасибо ребятам.", {"product": "Customer care"}),
        "Очень довольна переходом: плачу в два раза меньше, а связь лучше.",
        "На стадионе все выходные связь была отличная, видео отправлялись без проблем.",
        "Спасибо, что продлили скидку по договору. Приятно, что ценят старых клиентов.",
        ("Домашний интернет ни разу не падал за полгода. Тьфу-тьфу.", {"product": "Home Fibre"}),
        "В салоне за десять минут поменяли симку и помогли перенести контакты. Спасибо!",
        "Оповещения об аварии по смс: очень удобно, сразу понятно, что происходит.",
    ]),
]

EN_NAMES = ["jess", "mike", "sam", "olivia", "tom", "priya", "dan", "kate", "leo", "nina", "alex", "chris", "emma",
            "raj", "zoe", "ben", "maya", "owen", "lucy", "noah"]
EN_TAILS = ["_k", ".builds", "88", "_in_leeds", "writes", "_t", "onthego", "2001", "_runs", "_uk", "bakes", "_dev"]
RU_NAMES = ["olga", "dimon", "katya", "serg", "anya", "pasha", "lena", "vova", "masha", "igor", "nastya", "artem",
            "yulia", "kostya", "sveta", "roma"]
RU_TAILS = ["_v", "1987", "_spb", "_msk", "_photo", "_ekb", "85", "_kzn", "_nsk", "_travel", "_m", "_99"]


def handle(rng: random.Random, lang: str) -> str:
    names, tails = (EN_NAMES, EN_TAILS) if lang == "en" else (RU_NAMES, RU_TAILS)
    return rng.choice(names) + rng.choice(tails)


def days_ago(rng: random.Random, rising: bool) -> float:
    """Rising themes: most in the last 7 days, the rest 2-9 weeks ago (a quiet week before the spike, so the
    change against the previous week is significant); other themes spread evenly over 60 days."""
    if not rising:
        return round(rng.uniform(0.05, 60.0), 3)
    return round(rng.uniform(0.05, 7.0) if rng.random() < 0.85 else rng.uniform(14.0, 60.0), 3)


def rating_for(rng: random.Random, sentiment: str) -> int:
    return {"negative": rng.choice([1, 1, 2]), "neutral": 3, "positive": rng.choice([4, 5, 5])}[sentiment]


def nps_for(rng: random.Random, sentiment: str) -> int:
    return {"negative": rng.randint(0, 4), "neutral": rng.randint(6, 8), "positive": rng.choice([9, 9, 10])}[
        sentiment]


def build() -> list[dict]:
    rng = random.Random(SEED)
    rows = []
    entries = [("en", g, t) for g in EN for t in g[5]] + [("ru", g, t) for g in RU for t in g[5]]
    rng.shuffle(entries)  # languages and themes interleaved, ids in a stable pseudo-random order
    for n, (lang, (theme, sentiment, rising, channels, product, _), entry) in enumerate(entries, 1):
        text, extra = (entry, {}) if isinstance(entry, str) else entry
        extra = dict(extra)
        channel = extra.pop("channel", None) or rng.choice(channels)
        row = {"source": "demo", "external_id": f"demo-{n:04d}", "channel": channel, "text": text,
               "days_ago": days_ago(rng, extra.pop("rising", rising))}
        author = extra.pop("author", None)
        if author is None and channel in ("social", "review"):
            author = {"handle": handle(rng, lang)}
            if channel == "social":
                author["followers"] = int(rng.lognormvariate(5.5, 1.4))
        if author:
            row["author"] = author
        if channel == "review":
            row["rating"] = extra.pop("rating", None) or rating_for(rng, sentiment)
            row["url"] = f"https://apps.example.com/northwind-mobile/reviews/{rng.randint(10**6, 10**7)}"
        elif channel == "survey":
            row["nps"] = extra.pop("nps", None)
            if row["nps"] is None:
                row["nps"] = nps_for(rng, sentiment)
        elif channel == "social":
            row["url"] = f"https://social.example.com/{author['handle']}/status/{rng.randint(10**15, 10**16)}"
        extra.pop("rating", None)
        extra.pop("nps", None)
        if channel in ("chat", "email", "survey") or rng.random() < 0.3:
            row["customer_id"] = f"NW-{rng.randint(100000, 999999)}"
        prod = extra.pop("product", product)
        if prod:
            row["product"] = prod
        assert not extra, f"unknown extras {extra} for {text!r}"
        row["_theme"], row["_sentiment"], row["_lang"] = theme, sentiment, lang
        rows.append(row)
    return rows


def main() -> None:
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            meta = {k[1:]: r.pop(k) for k in ("_theme", "_sentiment", "_lang")}
            r["demo"] = meta  # the intended theme / sentiment / language, for checking the tags; not ingested
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    by = {}
    for r in rows:
        key = (r["demo"]["lang"], r["demo"]["sentiment"])
        by[key] = by.get(key, 0) + 1
    print(f"{len(rows)} mentions -> {OUT}: {dict(sorted(by.items()))}")


if __name__ == "__main__":
    main()
