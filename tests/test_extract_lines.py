"""Lines, titles and bylines by their shape: the examples are lines met on real pages."""

from __future__ import annotations

import pytest

from audiobrief.extract import lines, meta


@pytest.mark.parametrize(
    "line",
    [
        "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.",
        "Listen to Newsbeat live at 12:45 weekdays",
        "Source: News agencies",
        "Subscribe to the Hindustan Times YouTube Channel",
        "[Video] Firefighters battle blaze on the ridge",
        "Firefighters battle blaze on the ridge [Video]",
        "Reporting by Jane Doe in Kyiv; Editing by John Roe",
        "(Reporting by Jane Doe; Editing by John Roe)",
        "Additional reporting by Steve Gorman; Editing by Marguerita Choy",
        "Read more: Recognizing Germany colonial crimes",
        "For the latest stories and breaking news updates download the Nationnews apps for iOS "
        "and Android.",
        "Never miss the latest news by signing up to our newsletter",
        "© 2022, BreakingBelizeNews.com. All rights reserved.",
        "Featured image by Alberto Riva/The Points Guy.",
        "— Drew Mikkelsen (@drewmikkelsenk5) January 6, 2020",
        "https://twitter.com/example · https://facebook.com/example",
        "Posted: Thursday, April 21, 2022. 10:11 pm CST.",
        "Posted on",
        "Minister Aubyn Hill (right), looks on as the cadets march past the stand.",
        "Аdvеrtіѕе wіth thе most visited news site ~ Yоur соntеnt іѕ dеlіvеrеd іnѕtаntlу",
    ],
)
def test_boilerplate_by_its_shape(line: str) -> None:
    assert lines.is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Follow the money, investigators told the committee on Tuesday.",
        "Sources say the deal is close.",
        "Source of the fire was a faulty heater, the fire service said on Monday.",
        "Listen: the governor said nobody had been hurt in the attack on the city.",
        "Download speeds in rural areas rose by a third last year, the regulator said.",
        "The app was downloaded a million times in its first week.",
        "Get the vaccine, the health ministry urged residents on its daily briefing.",
        "Item 4.",
        "On April 21, 2022, the director warned of a new wave.",
        "Editing the constitution is not on the table, the minister said.",
        "For more than a decade, the daily newspaper has covered the city council.",
        "Research by Oxford economists found that inflation fell in May.",
        "Copyright law in the EU changed in 2019, the court noted.",
        "Smith (pictured) told the inquiry he had not seen the letter.",
        "To get there, residents take the daily ferry from the mainland.",
        "Keep up the pressure on the council, the union told its members.",
    ],
)
def test_sentences_of_an_article_are_not_boilerplate(line: str) -> None:
    assert not lines.is_boilerplate(line)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Deaths rose to 412 (Graphic: the toll by region – here) on Sunday.",
         "Deaths rose to 412 on Sunday."),
        ("Workers dug trenches. (Photo: John Doe/Getty Images)", "Workers dug trenches."),
        ("The clip shows her walking in. pic.twitter.com/CIHDX5qmux",
         "The clip shows her walking in."),
        ("(Credit: Clayton Aldern / Grist)", ""),
        ("Turnout (left axis) fell.", "Turnout (left axis) fell."),
    ],
)
def test_credits_inside_a_paragraph_are_left_out(text: str, kept: str) -> None:
    assert lines.without_credits(text) == kept


@pytest.mark.parametrize(
    ("found", "site", "hostname", "title"),
    [
        ("Apple releases iOS 17.2 – 9to5Mac", "9to5Mac", "9to5mac.com",
         "Apple releases iOS 17.2"),
        ("Coinbase vs. Coinbase Pro | The Balance", "The Balance", "thebalance.com",
         "Coinbase vs. Coinbase Pro"),
        ("BBC News - Flood warnings across Wales", "BBC News", "bbc.co.uk",
         "Flood warnings across Wales"),
        ("Пожар на складе в Харькове - новости, фото 2018", None, "example.ua",
         "Пожар на складе в Харькове"),
        ("Kyiv - the city that never sleeps", "Harbour Gazette", "gazette.example",
         "Kyiv - the city that never sleeps"),
    ],
)
def test_titles_without_site_suffix_or_search_tail(found: str, site: str | None,
                                                    hostname: str, title: str) -> None:
    assert meta.title(found, site, hostname, None) == title


@pytest.mark.parametrize(
    ("found", "byline"),
    [
        ("Paul Takahashi; Staff writer", "Paul Takahashi"),
        ("JERUSALEM POST STAFF NOVEMBER", "JERUSALEM POST STAFF"),
        ("By Текст: Иван Петренко", "Иван Петренко"),
        ("By Текст", None),
        ("View all posts by Daniel Lemire", "Daniel Lemire"),
        ("Article by", None),
        ("Jane Doe; john.doe@example.com", "Jane Doe"),
        ("Dinara Khalilova", "Dinara Khalilova"),
    ],
)
def test_bylines_are_names_without_labels_roles_or_dates(found: str, byline: str | None) -> None:
    assert meta.byline(found) == byline
