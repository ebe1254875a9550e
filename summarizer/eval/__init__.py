"""Scoring summaries against gold annotations: `summarizer eval GOLD`.

gold: loading our JSONL gold set and the WikiEvents dev set; score: matching and
precision / recall / F1; report: the table and the JSON record; compare: two records and
whether their difference is beyond noise (`summarizer eval-compare`); cli: the click
commands.
"""
