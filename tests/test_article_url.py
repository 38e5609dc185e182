"""The address an article is known by: every link a reader may follow to one article gives the
same, and a page may name its canonical address only on its own site."""

from __future__ import annotations

import pytest

from audiobrief.fetch import article_url, same_site


@pytest.mark.parametrize(("link", "known_as"), [
    ("https://news.example/a/b?utm_source=tw&utm_medium=social", "https://news.example/a/b"),
    ("https://news.example/a/b?fbclid=IwAR0&id=7#comments", "https://news.example/a/b?id=7"),
    ("HTTPS://News.Example:443/a", "https://news.example/a"),
    ("http://news.example:80/a", "http://news.example/a"),
    ("https://news.example:8443/a?gclid=x", "https://news.example:8443/a"),
    ("https://news.example", "https://news.example/"),
    ("https://news.example/search?q=a+b&page=2", "https://news.example/search?q=a+b&page=2"),
    ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ("https://news.example:99999/a", "https://news.example:99999/a"),  # no port: as given
])
def test_links_to_one_article_are_read_as_one_address(link: str, known_as: str) -> None:
    assert article_url(link) == known_as
    assert article_url(known_as) == known_as


@pytest.mark.parametrize(("page", "canonical", "same"), [
    ("https://www.news.example/amp/a", "https://news.example/a", True),
    ("https://news.example/a", "https://other.example/a", False),
    ("https://news.example.evil/a", "https://news.example/a", False),
    ("not a url", "https://news.example/a", False),
])
def test_a_page_names_its_canonical_address_only_on_its_site(page: str, canonical: str,
                                                              same: bool) -> None:
    assert same_site(page, canonical) is same
