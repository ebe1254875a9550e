"""One sentence splitter for the project: spans of the original text, paragraphs respected."""

import pytest

from summarizer.articles import read_file
from summarizer.sentences import split_sentences

from .conftest import SEED


def texts(text: str) -> list[str]:
    return [sentence.text for sentence in split_sentences(text)]


@pytest.mark.parametrize(
    "sentences",
    [
        ["Mr. Smith met Dr. Brown in the U.S. capital on Jan. 5.", "They talked for an hour."],
        ["Gen. Mark Milley spoke to Sen. Warren on Feb. 12, 2025.", "She thanked him."],
        ["The talks began at 9 a.m. in Geneva.", "They ended at noon."],
        ["Shares rose 3.5% on Monday.", "Analysts at J.P. Morgan said so."],
        ["“We will not retreat,” he said.", "“Never.”"],
        ["“Will you sign?” he asked.", "She did not answer."],
        ["Is this the end?", "No!", "It is only the start."],
    ],
)
def test_abbreviations_numbers_and_quotes_do_not_end_a_sentence_where_none_ends(sentences):
    assert texts(" ".join(sentences)) == sentences


def test_each_sentence_is_a_slice_of_the_text_without_the_space_around_it():
    text = "  Ελλάδα’s “forces” held — Mr. Łukasz spoke.   Zelenskyy said: “We are ready.”\n"
    found = split_sentences(text)
    assert [s.text for s in found] == [
        "Ελλάδα’s “forces” held — Mr. Łukasz spoke.",
        "Zelenskyy said: “We are ready.”",
    ]
    assert all(text[s.start : s.end] == s.text for s in found)


def test_a_line_break_ends_a_paragraph_unless_the_line_is_wrapped():
    text = (
        "Talks ended. Nobody left.\n"
        "Key points:\n"
        "- Ukraine agreed\n"
        "- Russia refused\n"
        "Zelenskyy called the offer a trap and asked\n"
        "Europe for more air defence, which\n"
        "he said was late.\n\n"
        "Headline\n\n"
        "The last paragraph."
    )
    found = split_sentences(text)
    assert [(s.paragraph, s.text) for s in found] == [
        (0, "Talks ended."),
        (0, "Nobody left."),
        (1, "Key points:"),
        (2, "- Ukraine agreed"),
        (3, "- Russia refused"),
        (
            4,
            "Zelenskyy called the offer a trap and asked\nEurope for more air defence, which\n"
            "he said was late.",
        ),
        (5, "Headline"),
        (6, "The last paragraph."),
    ]


def test_blank_text_has_no_sentence():
    assert split_sentences("") == [] and split_sentences(" \n\n \t") == []


def test_the_seed_article_splits_into_sentences_one_paragraph_per_line():
    text = read_file(SEED).text
    found = split_sentences(text)
    lines = [line for line in text.split("\n") if line.strip()]
    # Each of the seed's lines ends with a full stop or quote mark (or is its last line).
    assert [s.paragraph for s in found][-1] + 1 == len(lines)
    assert {s.paragraph for s in found} == set(range(len(lines)))
    assert all("\n" not in s.text for s in found)
    assert len(found) > len(lines)  # some lines hold two sentences
