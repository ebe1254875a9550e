"""The timeline picture: valid SVG, every item drawn and escaped, planned items marked.

The items are made up for these tests (synthetic), not a model's output.
"""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from pydantic import ValidationError

from summarizer.render.timeline import (
    MAX_PER_DAY,
    TimelineItem,
    cut,
    event_status,
    render_timeline,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"


def synthetic_items() -> list[TimelineItem]:
    day = dt.date(2025, 3, 17)
    return [
        TimelineItem(day=day, kind="event", actor="Russian forces", text="Fighting in Kursk"),
        TimelineItem(day=day, kind="position", actor="Dmitry Peskov", text=HOSTILE),
        TimelineItem(
            day=day + dt.timedelta(days=1),
            kind="event",
            actor="Donald Trump",
            text="Trump and Putin to hold a call",
            status="planned",
            link="#event-2",
        ),
        TimelineItem(
            day=day + dt.timedelta(days=9),
            kind="event",
            text="Talks go on " + "and on " * 40,
            status="ongoing",
        ),
        TimelineItem(kind="event", actor="Europe", text="Troops offered", status="planned"),
    ]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def items_of(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "item" in g.get("class", "").split()]


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_the_picture_is_svg_with_one_item_per_input_item():
    root = parse(render_timeline(synthetic_items(), title="Kursk"))
    assert root.tag == f"{SVG}svg"
    drawn = items_of(root)
    assert len(drawn) == 5
    labels = [text_of(g.find(f"{SVG}text")) for g in drawn]
    assert labels[0] == "Russian forces: Fighting in Kursk"
    assert labels[2].startswith("Donald Trump: Trump and Putin to hold a call")


def test_days_are_on_the_axis_in_order_with_gaps_labelled():
    root = parse(render_timeline(reversed(synthetic_items())))
    days = [text_of(g) for g in root.iter(f"{SVG}g") if g.get("class") == "day"]
    assert days == ["Mon 17 Mar 2025", "Tue 18 Mar", "8 days later Wed 26 Mar"]
    assert root.find(f"{SVG}line[@class='axis']") is not None


def test_items_of_one_day_are_stacked_one_row_each():
    root = parse(render_timeline(synthetic_items()))
    first_day = items_of(root)[:2]
    rows = [float(g.find(f"{SVG}text").get("y")) for g in first_day]
    assert rows[1] > rows[0]


def test_planned_items_are_marked_hollow_dashed_and_said():
    root = parse(render_timeline(synthetic_items()))
    planned = [g for g in items_of(root) if "status-planned" in g.get("class")]
    assert len(planned) == 2
    for group in planned:
        marker = group.find(f"{SVG}circle")
        assert marker.get("fill") == "#fff" and marker.get("stroke-dasharray")
        label = group.find(f"{SVG}text")
        assert label.get("font-style") == "italic" and text_of(label).endswith("· planned")
    past = next(g for g in items_of(root) if "status-past" in g.get("class"))
    assert past.find(f"{SVG}circle").get("fill") != "#fff"
    ongoing = next(g for g in items_of(root) if "status-ongoing" in g.get("class"))
    assert len(ongoing.findall(f"{SVG}circle")) == 2  # the marker and its ring


def test_undated_items_are_listed_apart_below_the_axis():
    root = parse(render_timeline(synthetic_items()))
    heading = root.find(f"{SVG}text[@class='undated']")
    assert heading is not None and heading.text == "Undated"
    europe = items_of(root)[-1]
    assert text_of(europe.find(f"{SVG}text")).startswith("Europe: Troops offered")
    assert float(europe.find(f"{SVG}text").get("y")) > float(heading.get("y"))
    axis = root.find(f"{SVG}line[@class='axis']")
    assert float(axis.get("y2")) < float(heading.get("y"))


def test_long_texts_are_cut_on_a_word_and_kept_whole_in_the_tooltip():
    root = parse(render_timeline(synthetic_items()))
    talks = items_of(root)[3]
    shown = text_of(talks.find(f"{SVG}text"))
    assert shown.endswith("…") and len(shown) < 100
    assert talks.find(f"{SVG}title").text == "Talks go on " + "and on " * 39 + "and on"
    assert cut("one two three four", 12) == "one two…"
    assert cut("short", 12) == "short"


def test_text_is_escaped_and_characters_xml_forbids_are_dropped():
    items = [*synthetic_items(), TimelineItem(kind="event", text="bell\x07 and \x00null")]
    svg = str(render_timeline(items, title=HOSTILE))
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # would raise on a raw control character or unescaped markup
    assert not [e for e in root.iter() if e.tag.endswith(("script", "img", "foreignObject"))]
    assert HOSTILE in text_of(root.find(f"{SVG}title"))
    assert "bell and null" in text_of(root)


def test_many_items_on_one_day_end_with_a_count():
    day = dt.date(2025, 1, 1)
    items = [TimelineItem(day=day, kind="event", text=f"event {n}") for n in range(12)]
    root = parse(render_timeline(items))
    drawn = items_of(root)
    assert len(drawn) == MAX_PER_DAY
    assert text_of(drawn[-1].find(f"{SVG}text")) == f"… and {12 - MAX_PER_DAY + 1} more"


def test_links_stay_on_the_page_or_the_site():
    root = parse(render_timeline(synthetic_items()))
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == ["#event-2"]
    TimelineItem(kind="event", text="x", link="/archive/articles/3")
    for bad in ("javascript:alert(1)", "https://example.com/", "//example.com/x"):
        with pytest.raises(ValidationError):
            TimelineItem(kind="event", text="x", link=bad)


def test_event_statuses_map_to_timeline_statuses():
    assert [event_status(s) for s in ("occurred", "claimed", "ongoing", "planned", None)] == [
        "past",
        "past",
        "ongoing",
        "planned",
        "past",
    ]


def test_width_bounds_the_text():
    items = [TimelineItem(day=dt.date(2025, 1, 1), kind="event", text="word " * 60)]
    narrow, wide = (
        parse(render_timeline(items, width=500)),
        parse(render_timeline(items, width=1100)),
    )
    assert len(text_of(items_of(narrow)[0])) < len(text_of(items_of(wide)[0]))
    assert narrow.get("width") == "500"
