"""Entities and speakers found by code (spaCy), on the seed article and small texts."""

from summarizer.nlp import analyse
from summarizer.sentences import split_sentences


def analysed(text: str):
    sentences = split_sentences(text)
    return sentences, analyse(text, sentences)


def test_seed_people_come_with_the_titles_the_text_gives(seed_article):
    _, analysis = analysed(seed_article.text)
    peskov = analysis.candidate("Dmitry Peskov")
    grushko = analysis.candidate("Alexander Grushko")
    assert peskov is not None and peskov.type == "person"
    assert peskov.title == "Kremlin spokesperson" and peskov.affiliation == "Kremlin"
    assert grushko is not None and grushko.title == "Deputy Russian Foreign Minister"
    # spaCy labels a later "Grushko" an organisation; it is still the same person.
    assert "Grushko" in grushko.aliases
    putin = analysis.candidate("Vladimir Putin")
    assert putin is not None and putin.aliases == ["Putin"] and putin.title == "Russian President"


def test_places_named_only_as_where_things_happen_are_not_candidates(seed_article):
    _, analysis = analysed(seed_article.text)
    names = {candidate.name for candidate in analysis.candidates}
    assert not names & {"Brussels", "Saudi Arabia", "Washington"}, names
    assert {"Russia", "Ukraine", "Kaja Kallas", "Volodymyr Zelenskyy"} <= names


def test_seed_speakers_and_their_sentences(seed_article):
    sentences, analysis = analysed(seed_article.text)
    said = {(a.speaker, a.sentence) for a in analysis.attributions}

    def number(words: str) -> int:
        return next(i for i, s in enumerate(sentences, 1) if words in s.text)

    assert ("Dmitry Peskov", number("Peskov confirmed")) in said
    assert ("Alexander Grushko", number("Grushko also stated")) in said
    # "…,” according to him.": the pronoun is the last speaker, Grushko.
    assert ("Alexander Grushko", number("according to him")) in said
    # "“We are ready …,” he claimed.": Zelenskyy, who spoke in the sentence before.
    assert ("Volodymyr Zelenskyy", number("he claimed")) in said
    # "Trump wrote": a mention spaCy did not label is still Trump's.
    assert ("Donald Trump", number("Trump wrote")) in said


def test_the_speaker_is_who_says_it_not_the_outlet_or_the_main_clause(seed_article):
    sentences, analysis = analysed(seed_article.text)
    kallas = next(i for i, s in enumerate(sentences, 1) if "Kaja Kallas stated" in s.text)
    in_kallas = {a.speaker for a in analysis.attributions if a.sentence == kallas}
    assert in_kallas == {"Kaja Kallas"}  # not Reuters ("According to Reuters, Kallas stated")
    # "Russia would oppose … despite Britain and France saying": Russia says nothing here.
    assert not [a for a in analysis.attributions if a.speaker == "Russia"]


def test_a_spokesperson_speaks_for_the_person_named():
    text = (
        "The mayor of Alden, Rosa Imari, opened the bridge on Friday.\n"
        "A spokesperson for Governor Piet Lorne said the state would pay for repairs."
    )
    _, analysis = analysed(text)
    assert [(a.speaker, a.sentence) for a in analysis.attributions] == [("Piet Lorne", 2)]
    lorne = analysis.candidate("Piet Lorne")
    assert lorne is not None and lorne.title == "Governor"


def test_text_without_names_has_no_candidates():
    _, analysis = analysed("It rained all day, and the river rose by a metre.")
    assert analysis.candidates == [] and analysis.attributions == []


def test_verbs_of_asking_give_who_asks_whom_for_what(seed_article):
    _, analysis = analysed(seed_article.text)
    frames = {(d.by, d.of, d.what) for d in analysis.demands}
    # "Trump will try to persuade Putin to support a 30-day ceasefire proposed by …"
    assert (
        "Donald Trump",
        "Vladimir Putin",
        "support a 30-day ceasefire proposed by the US and Ukraine",
    ) in frames
    # "… telling Truth Social … that he had asked the Kremlin not to attack …": "he" is Trump.
    assert ("Donald Trump", "Kremlin", "not attack Ukrainian troops in Kursk") in frames


def test_a_that_clause_names_the_one_asked():
    text = "Rosa Imari demanded that Piet Kessel release more water from the dam."
    _, analysis = analysed(text)
    assert [(d.by, d.of, d.what, d.sentence) for d in analysis.demands] == [
        ("Rosa Imari", "Piet Kessel", "release more water from the dam", 1)
    ]


def test_a_surname_is_the_one_person_named_in_full_with_it_and_nobody_when_two_are():
    # Made-up sentences; whether two names are one actor is `identity`'s rule.
    _, one = analysed("Mara Lind opened the shop in Alden on Friday. Lind said sales were slow.")
    assert [(c.name, c.sentences) for c in one.candidates] == [("Mara Lind", [1, 2])]
    assert [(a.speaker, a.sentence) for a in one.attributions] == [("Mara Lind", 2)]
    _, two = analysed("Mara Lind and Jonas Lind opened the shop. Lind said sales were slow.")
    assert [(c.name, c.aliases) for c in two.candidates] == [("Mara Lind", []), ("Jonas Lind", [])]
    assert two.attributions == []


def test_a_name_is_a_candidate_without_the_quotation_marks_around_it():
    # A quotation mark in a candidate's name broke llama.cpp's grammar for the answer schema.
    text = (
        "French Interior Minister Christophe Castaner said on Friday that the "
        '"Islamic State group had claimed the attack in Lyon.'
    )  # spaCy's entity here is 'the "Islamic State'
    names = [c.name for c in analyse(text, split_sentences(text)).candidates]
    assert "Islamic State" in names and not [n for n in names if '"' in n], names
