"""A summary as Markdown a person enjoys reading."""

from __future__ import annotations

from ..schema import ACTOR_TYPE_LABELS as ACTOR_TYPES
from ..schema import WEAK_SUPPORT_NOTE, ArticleSummary, Demand, Event, Position, SummaryResult


def _cell(text: str | None) -> str:
    """Text safe inside a Markdown table cell."""
    return (text or "—").replace("|", "\\|").replace("\n", " ")


def _quotes(item: Event | Position | Demand) -> str:
    flagged = [e for e in item.evidence if e.match == "none"]
    quoted = " · ".join(f"“{e.quote}”" for e in item.evidence)
    weak = f" ⚠ {WEAK_SUPPORT_NOTE}" if item.support == "weak" else ""
    return quoted + (" ⚠ not found in the article" if flagged else "") + weak


def _name(summary: ArticleSummary, actor_id: str | None) -> str:
    if actor_id is None:
        return "—"
    return next((a.name for a in summary.actors if a.id == actor_id), actor_id)


def render_markdown(result: SummaryResult) -> str:
    """The whole result: summary, key points, actors table, positions, demands, events."""
    summary, article = result.summary, result.article
    lines = [f"# {article.title or 'Article summary'}", ""]
    meta = [
        part
        for part in (
            article.source,
            article.published.isoformat() if article.published else None,
            f"<{article.url}>" if article.url else None,
        )
        if part
    ]
    if meta:
        lines += [" · ".join(meta), ""]
    lines += [summary.summary, "", "## Key points", ""]
    lines += [f"- {point}" for point in summary.key_points]
    lines += [
        "",
        "## Actors",
        "",
        "| Name | Type | Role | Affiliation | Also called |",
        "|---|---|---|---|---|",
    ]
    for actor in summary.actors:
        lines.append(
            f"| **{_cell(actor.name)}** | {ACTOR_TYPES[actor.type]} | {_cell(actor.role)} | "
            f"{_cell(actor.affiliation)} | {_cell(', '.join(actor.aliases) or None)} |"
        )
    if summary.positions:
        lines += ["", "## Positions", ""]
        for position in summary.positions:
            lines.append(
                f"- **{_name(summary, position.actor)}** on *{position.topic}*: "
                f"{position.stance}  \n  {_quotes(position)}"
            )
    if summary.demands:
        lines += ["", "## Demands", ""]
        for demand in summary.demands:
            target = f" of **{_name(summary, demand.of)}**" if demand.of else ""
            condition = f" (if {demand.conditions})" if demand.conditions else ""
            lines.append(
                f"- **{_name(summary, demand.by)}** demands{target}: {demand.what}"
                f"{condition}  \n  {_quotes(demand)}"
            )
    lines += ["", "## Events", ""]
    for event in summary.events:
        when = ", ".join(
            p for p in (event.when, event.date.isoformat() if event.date else None) if p
        )
        facts = " · ".join(p for p in (event.category, event.status, when, event.where) if p)
        who = ", ".join(_name(summary, p) for p in event.participants)
        lines.append(
            f"- **{event.what}** — {facts}"
            + (f"; with {who}" if who else "")
            + f"  \n  {_quotes(event)}"
        )
    p = result.provenance
    lines += [
        "",
        "---",
        f"*{p.model} ({p.backend}) · {p.usage.total_tokens} tokens · "
        f"{p.attempts} call(s){' · from cache' if p.cache_hit else ''} · "
        f"prompts {p.prompt_hash}*",
        "",
    ]
    return "\n".join(lines)
