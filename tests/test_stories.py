"""Stories: copies by MinHash, related articles by shared actors, stories across days.

The articles are real test articles and their synthetic copies and rewrites
(tests/articles/stories/README.md); the actors are written by hand for each case.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from summarizer import stories
from summarizer.extract import article_from_html
from summarizer.identity import Identity
from summarizer.stories import (
    COPY_THRESHOLD,
    StoryActor,
    StoryArticle,
    copy_similarity,
    group,
    minhash_signature,
)

from .conftest import ROOT

STORIES = ROOT / "tests" / "articles" / "stories"
DAY = dt.date(2026, 11, 23)


def original_text(copy: Path) -> str:
    """The article a synthetic copy or rewrite was made from."""
    stem = copy.stem.rsplit("-", 2 if copy.stem.endswith("other-outlet") else 1)[0]
    for candidate in (ROOT / "gold" / "articles" / f"{stem}.txt", ROOT / "seeds" / f"{stem}.txt"):
        if candidate.exists():
            return candidate.read_text(encoding="utf-8")
    page = ROOT / "tests" / "articles" / "digest" / f"{stem}.html"
    return article_from_html(
        page.read_text(encoding="utf-8"), origin=page.name, url="http://x/"
    ).text


def person(name: str, *aliases: str, actor_id: int | None = None) -> StoryActor:
    return StoryActor(Identity((name, *aliases), "person"), person=True, actor_id=actor_id)


def body(name: str, *aliases: str, actor_id: int | None = None) -> StoryActor:
    return StoryActor(Identity((name, *aliases), "organisation"), actor_id=actor_id)


def article(article_id: int, *actors: StoryActor, day: dt.date = DAY, **fields) -> StoryArticle:
    return StoryArticle(article_id=article_id, day=day, actors=actors, **fields)


@pytest.mark.parametrize("copy", sorted(STORIES.glob("*-syndicated.txt")), ids=lambda p: p.stem)
def test_a_syndicated_copy_is_a_copy_of_its_original(copy):
    original = original_text(copy)
    a = article(1, signature=minhash_signature(original))
    b = article(2, signature=minhash_signature(copy.read_text(encoding="utf-8")))

    [story] = group([a, b])

    assert story.article_ids == [1, 2] and story.copy_of == {2: 1}


@pytest.mark.parametrize("other", sorted(STORIES.glob("*-other-outlet.txt")), ids=lambda p: p.stem)
def test_another_outlets_report_of_the_same_event_is_no_copy(other):
    original = minhash_signature(original_text(other))
    rewrite = minhash_signature(other.read_text(encoding="utf-8"))

    assert copy_similarity(original, rewrite) < COPY_THRESHOLD
    # Without shared actors nothing else joins them.
    stories_ = group([article(1, signature=original), article(2, signature=rewrite)])
    assert [s.article_ids for s in stories_] == [[1], [2]]


def test_a_rewrite_with_the_same_people_is_one_story_with_separate_sources():
    other = STORIES / "transit-strike-other-outlet.txt"
    reyes, marsh = person("Tomas Reyes", "Reyes"), person("Elena Marsh", "Mayor Marsh")
    union = body("Transit Workers Union")
    herald = article(1, reyes, marsh, union, signature=minhash_signature(original_text(other)))
    wire = article(2, person("Reyes"), union, signature=minhash_signature(other.read_text()))

    [story] = group([herald, wire])

    assert story.article_ids == [1, 2] and story.copy_of == {}
    assert story.shared_actors == ["Tomas Reyes", "Transit Workers Union"]


def test_one_shared_person_relates_two_articles_a_lone_shared_country_does_not():
    a = article(1, person("Vladimir Putin"), body("Russia"))
    b = article(2, person("Putin"))
    c = article(3, body("Russia"), body("Gazprom"))

    grouped = group([a, b, c])

    assert [s.article_ids for s in grouped] == [[1, 2], [3]]
    assert grouped[0].shared_actors == ["Vladimir Putin"]


def test_one_shared_organisation_with_a_closely_worded_event_relates_them():
    a = article(1, body("Halden Terminals"), events=("dockworkers strike at Marrow Bay",))
    b = article(2, body("Halden Terminals"), events=("Marrow Bay dockworkers strike",))
    c = article(3, body("Halden Terminals"), events=("Halden Terminals reports profits",))

    assert [s.article_ids for s in group([a, b, c])] == [[1, 2], [3]]


def test_articles_further_apart_than_the_window_are_separate_stories():
    late = DAY + dt.timedelta(days=stories.WINDOW_DAYS + 1)
    near = DAY + dt.timedelta(days=stories.WINDOW_DAYS)
    grouped = group(
        [
            article(1, person("Ilse Marn")),
            article(2, person("Ilse Marn"), day=late),
            article(3, person("Ilse Marn"), day=near),
        ]
    )

    # 3 is near both, so it joins them: a story goes on as long as it is reported.
    assert [s.article_ids for s in grouped] == [[1, 2, 3]]
    assert [
        s.article_ids
        for s in group([article(1, person("Marn")), article(2, person("Marn"), day=late)])
    ] == [[1], [2]]


def test_a_new_article_continues_an_earlier_story():
    yesterday = article(10, person("Tomas Reyes"), day=DAY, story_id=4)
    unrelated_earlier = article(11, person("Ines Carvalho"), day=DAY, story_id=5)
    today = article(12, person("Reyes"), day=DAY + dt.timedelta(days=1))
    fresh = article(13, person("Ilse Marn"), day=DAY + dt.timedelta(days=1))

    grouped = group([yesterday, unrelated_earlier, today, fresh])

    assert [(s.story_id, s.article_ids) for s in grouped] == [(4, [12]), (None, [13])]


def test_a_copy_of_an_earlier_article_continues_its_story_and_points_at_the_original():
    copy = STORIES / "marrow-bay-port-strike-syndicated.txt"
    original = article(20, story_id=9, signature=minhash_signature(original_text(copy)))
    earlier_copy = article(
        21, story_id=9, copy_of=20, signature=minhash_signature(copy.read_text())
    )
    again = article(22, signature=minhash_signature(copy.read_text() + "\nUpdated."))

    [story] = group([original, earlier_copy, again])

    assert (story.story_id, story.article_ids, story.copy_of) == (9, [22], {22: 20})


def test_earlier_stories_are_not_merged_with_each_other():
    grouped = group(
        [
            article(1, person("Elena Marsh"), story_id=1),
            article(2, person("Elena Marsh"), story_id=2),
            article(3, person("Marsh")),
        ]
    )

    assert [(s.story_id, s.article_ids) for s in grouped] == [(1, [3])]


def test_archive_ids_decide_when_both_actors_have_one():
    # A user split two people of one name: their ids differ, so their articles stay apart.
    split = group(
        [article(1, person("Jonas Lind", actor_id=1)), article(2, person("Jonas Lind", actor_id=2))]
    )
    # Ids equal under different names (an alias the user added): one actor.
    merged = group(
        [article(1, person("J. Lind", actor_id=1)), article(2, person("Jonas Lind", actor_id=1))]
    )

    assert [s.article_ids for s in split] == [[1], [2]]
    assert [s.article_ids for s in merged] == [[1, 2]]


def test_a_common_name_costs_a_bounded_number_of_comparisons(monkeypatch):
    calls = []
    real = stories._same

    def counting(x, y):
        calls.append(1)
        return real(x, y)

    monkeypatch.setattr(stories, "_same", counting)

    def comparisons(n: int) -> int:
        calls.clear()
        grouped = group([article(i, person("Vladimir Putin")) for i in range(n)])
        # Named in every article, he alone does not make them one story.
        assert len(grouped) == n
        return len(calls)

    # Each article is compared with his latest mentions only: twice the articles, about
    # twice the comparisons.
    small, large = comparisons(400), comparisons(800)
    assert large <= 2.2 * small


def test_a_person_in_a_few_articles_relates_them_one_in_many_does_not():
    common = [article(i, person("Donald Trump"), body(f"Agency {i}")) for i in range(100)]
    rare = [article(100 + i, person("Ines Carvalho"), body(f"Board {i}")) for i in range(2)]

    grouped = group([*common, *rare])

    assert [s.article_ids for s in grouped if len(s.article_ids) > 1] == [[100, 101]]


def test_story_article_of_a_summary_leaves_outlets_out_and_maps_archive_ids():
    from summarizer.schema import ArticleSummary

    from .fakes import FAKE_VALID_ANSWER

    answer = {**FAKE_VALID_ANSWER}
    answer["actors"] = [*answer["actors"], {"name": "NBC News", "type": "media", "aliases": []}]
    summary = ArticleSummary.model_validate(answer)
    result = _result(summary, text="Trump plans a call with Putin on Tuesday, NBC News reports.")

    item = StoryArticle.of(7, result, day=DAY, actor_ids={"vladimir_putin": 42})

    assert [(a.name, a.actor_id) for a in item.actors] == [
        ("Donald Trump", None),
        ("Vladimir Putin", 42),
    ]
    assert item.events == ("Trump–Putin call",)
    assert item.signature == minhash_signature(result.article.text)


def _result(summary, text: str):
    from summarizer.schema import ArticleInfo, Provenance, SummaryResult

    provenance = Provenance(
        model="fake-model",
        backend="scripted-fake",
        prompt_hash="0",
        input_hash="0",
        attempts=1,
        cache_hit=False,
        seconds=0.0,
        created=dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
    )
    return SummaryResult(article=ArticleInfo(text=text), summary=summary, provenance=provenance)


def test_an_actor_named_everywhere_relates_articles_only_beside_another_and_the_same_event():
    everywhere = [
        article(i, body("European Union"), events=(f"EU topic {i}",)) for i in range(1, 101)
    ]
    summit = ("EU leaders meet in Brussels on energy prices",)
    talk = [
        article(200, body("European Union"), person("Donald Trump"), events=summit),
        article(201, body("European Union"), person("Trump"), events=summit),
    ]
    lone = [
        article(300, body("European Union"), events=summit),
        article(301, body("European Union"), events=summit),
    ]
    trump_elsewhere = [article(400 + i, person("Donald Trump")) for i in range(10)]

    grouped = group([*everywhere, *talk, *lone, *trump_elsewhere])

    assert [s.article_ids for s in grouped if len(s.article_ids) > 1] == [[200, 201]]
