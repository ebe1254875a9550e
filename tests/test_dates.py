import datetime as dt

import pytest

from summarizer.dates import resolve

MONDAY = dt.date(2025, 3, 17)


@pytest.mark.parametrize(
    ("when", "planned", "expected"),
    [
        ("on Tuesday", True, dt.date(2025, 3, 18)),
        ("On Monday", False, MONDAY),
        ("late Sunday", False, dt.date(2025, 3, 16)),
        ("on Friday", False, dt.date(2025, 3, 14)),
        ("next Monday", True, dt.date(2025, 3, 24)),
        ("last Monday", False, dt.date(2025, 3, 10)),
        ("yesterday", False, dt.date(2025, 3, 16)),
        ("tomorrow", True, dt.date(2025, 3, 18)),
        ("March 20", True, dt.date(2025, 3, 20)),
        ("20 March 2024", False, dt.date(2024, 3, 20)),
        ("2025-04-01", True, dt.date(2025, 4, 1)),
        ("last week", False, None),
        ("over the weekend", False, None),
        ("in recent weeks", False, None),
        (None, False, None),
    ],
)
def test_time_words_resolve_against_the_publication_date(when, planned, expected):
    assert resolve(when, MONDAY, planned=planned) == expected


def test_nothing_is_guessed_without_a_publication_date():
    assert resolve("on Tuesday", None, planned=True) is None
    assert resolve("March 20", None, planned=True) is None
    assert resolve("March 20, 2025", None, planned=True) == dt.date(2025, 3, 20)
