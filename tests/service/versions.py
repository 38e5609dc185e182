"""What a job table does with an article's versions, listing and withdrawal: checks run against
each engine (SQLite in tests/service, PostgreSQL in tests/distributed), each a function of a
fresh, empty table."""

from __future__ import annotations

import time
from collections.abc import Callable

from audiobrief.model import Rendition, Script
from audiobrief.service.backends import JobTable, article_key, finish

URL = "https://news.example/2026/kharkiv/"
RENDITION = Rendition(sample_rate_hz=22050, sentence_samples=((0, 22050),), length_samples=22050)


def _script(title: str, url: str = URL) -> Script:
    return Script(title=title, byline=None, date=None, site=None, url=url, language="en",
                  chapters=())


def _add(jobs: JobTable, version: str, title: str, url: str | None = URL, *,
         external_id: str | None = None, bound: bool = True) -> None:
    article = article_key(url, external_id) if bound else None
    assert jobs.add(version, _script(title, url or URL), "v", 1.0, url, bound=bound,
                    article=article, external_id=external_id)
    time.sleep(0.002)  # versions posted one after another, as edits are


def _finish(jobs: JobTable, version: str) -> None:
    owner = f"test-{version}"
    assert jobs.claim(version, owner, 3) is not None
    assert finish(jobs, version, owner, RENDITION, 100)


def check_an_edit_answers_with_the_newest_finished_version(jobs: JobTable) -> None:
    _add(jobs, "v1", "First")
    _finish(jobs, "v1")
    _add(jobs, "v2", "Edited")
    # v2 is being made: lookups keep answering with the audio there is.
    assert jobs.latest_for_url(URL).id == "v1"  # type: ignore[union-attr]
    article = article_key(URL)
    assert article is not None
    assert jobs.answering(article).id == "v1"  # type: ignore[union-attr]
    assert [record.id for record in jobs.finished(10)] == ["v1"]
    _finish(jobs, "v2")
    assert jobs.latest_for_url(URL).id == "v2"  # type: ignore[union-attr]
    assert [(record.id, record.article) for record in jobs.finished(10)] == [("v2", article)]
    assert jobs.finished_count() == 1
    # The editor reverts to the first text: its audio answers again, not made twice.
    assert jobs.repost("v1", URL, article, None)
    assert jobs.latest_for_url(URL).id == "v1"  # type: ignore[union-attr]
    assert [record.id for record in jobs.finished(10)] == ["v1"]


def check_a_first_version_being_made_answers_until_one_is_finished(jobs: JobTable) -> None:
    _add(jobs, "v1", "First")
    assert jobs.latest_for_url(URL).status == "queued"  # type: ignore[union-attr]
    assert jobs.finished(10) == [] and jobs.finished_count() == 0


def check_articles_are_listed_newest_first_in_pages(jobs: JobTable) -> None:
    for n in range(5):
        _add(jobs, f"a{n}", f"Article {n}", f"https://news.example/{n % 2}/{n}/")
    _add(jobs, "a3-edit", "Article 3, edited", "https://news.example/1/3/")
    _add(jobs, "text", "Posted text", None, bound=False)
    _finish(jobs, "a0")
    first = jobs.articles(3)
    assert [record.id for record in first] == ["text", "a3-edit", "a4"]
    last = first[-1]
    rest = jobs.articles(3, after=(last.posted_at, last.id))
    assert [record.id for record in rest] == ["a2", "a1", "a0"]
    assert jobs.articles(3, after=(rest[-1].posted_at, rest[-1].id)) == []
    assert [record.id for record in jobs.articles(10, status="done")] == ["a0"]
    odd = jobs.articles(10, url_prefix="https://news.example/1/")
    assert [record.id for record in odd] == ["a3-edit", "a1"]
    # A prefix is a prefix of the exact address: not a pattern, not case-folded.
    assert jobs.articles(10, url_prefix="https://news.example/_/") == []
    assert jobs.articles(10, url_prefix="HTTPS://news.example/1/") == []


def check_an_external_id_names_the_article_across_urls(jobs: JobTable) -> None:
    _add(jobs, "v1", "Draft", "https://news.example/draft-123/", external_id="cms-123")
    _add(jobs, "v2", "Published", "https://news.example/2026/final/", external_id="cms-123")
    listed = jobs.articles(10)
    assert [(record.id, record.external_id) for record in listed] == [("v2", "cms-123")]
    assert listed[0].article == article_key(None, "cms-123")


def check_a_withdrawn_article_is_gone_with_all_its_versions(jobs: JobTable) -> None:
    _add(jobs, "v1", "First")
    _finish(jobs, "v1")
    _add(jobs, "v2", "Edited")
    _add(jobs, "other", "Another", "https://news.example/other/")
    article = article_key(URL)
    assert article is not None
    assert sorted(jobs.withdraw("v2") or []) == ["v1", "v2"]
    for key in ("v1", "v2", article):
        assert jobs.get(key) is None and jobs.withdrawn(key)
    assert jobs.latest_for_url(URL) is None and jobs.answering(article) is None
    assert jobs.finished(10) == [] and [record.id for record in jobs.articles(10)] == ["other"]
    # Again, by either id: nothing more to do, and not "no such article".
    assert jobs.withdraw(article) == [] and jobs.withdraw("v1") == []
    assert jobs.withdraw("never-was") is None
    assert not jobs.withdrawn("other") and jobs.get("other") is not None


def check_publishing_again_lifts_a_withdrawal(jobs: JobTable) -> None:
    _add(jobs, "v1", "First")
    jobs.withdraw("v1")
    article = article_key(URL)
    assert article is not None
    _add(jobs, "v1", "First", bound=False)  # anyone's post does not bring it back
    assert jobs.withdrawn(article)
    jobs.withdraw("v1")
    _add(jobs, "v3", "Published again")
    assert not jobs.withdrawn(article) and not jobs.withdrawn(article_key(URL) or "")
    assert jobs.withdrawn("v1")  # the old version's own links stay gone
    assert jobs.latest_for_url(URL).id == "v3"  # type: ignore[union-attr]


def check_superseded_versions_are_evicted_first(jobs: JobTable) -> None:
    _add(jobs, "old", "First")
    _finish(jobs, "old")
    _add(jobs, "other", "Another", "https://news.example/other/")
    _finish(jobs, "other")
    _add(jobs, "new", "Edited")
    _finish(jobs, "new")
    # "old" was served last, but an edit of it is finished: it goes before "other".
    served = {"old": time.time() + 60}
    assert jobs.evict(250, served) == ["old"]
    assert jobs.latest_for_url(URL).id == "new"  # type: ignore[union-attr]


CHECKS: list[Callable[[JobTable], None]] = [
    check_an_edit_answers_with_the_newest_finished_version,
    check_a_first_version_being_made_answers_until_one_is_finished,
    check_articles_are_listed_newest_first_in_pages,
    check_an_external_id_names_the_article_across_urls,
    check_a_withdrawn_article_is_gone_with_all_its_versions,
    check_publishing_again_lifts_a_withdrawal,
    check_superseded_versions_are_evicted_first,
]
