"""A summary for the terminal, with rich: the default view when stdout is a terminal."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..schema import WEAK_SUPPORT_NOTE, ArticleSummary, Demand, Event, Position, SummaryResult

_STATUS_STYLE = {
    "occurred": "green",
    "ongoing": "yellow",
    "planned": "cyan",
    "claimed": "magenta",
}


def terminal_view(result: SummaryResult) -> RenderableType:
    """The result as one rich renderable: header, summary, actors, positions, demands, events."""
    summary, article = result.summary, result.article
    meta = _meta(result)
    parts: list[RenderableType] = [Text(meta, style="dim"), Text()] if meta else []
    parts += [Text(summary.summary), Text()]
    parts.append(Text("Key points", style="bold underline"))
    parts += [Text(f"  • {point}") for point in summary.key_points]
    parts += [Text(), _actors(summary)]
    if summary.positions:
        parts += [Text(), Text("Positions", style="bold underline")]
        for position in summary.positions:
            line = Text("  • ")
            line.append(_name(summary, position.actor), style="bold")
            line.append(f" on {position.topic}: ", style="italic")
            line.append(position.stance)
            parts += [line, _quotes(position)]
    if summary.demands:
        parts += [Text(), Text("Demands", style="bold underline")]
        for demand in summary.demands:
            line = Text("  • ")
            line.append(_name(summary, demand.by), style="bold")
            line.append(" demands")
            if demand.of:
                line.append(" of ")
                line.append(_name(summary, demand.of), style="bold")
            line.append(f": {demand.what}")
            if demand.conditions:
                line.append(f" (if {demand.conditions})", style="italic")
            parts += [line, _quotes(demand)]
    parts += [Text(), _events(summary)]
    return Panel(
        Group(*parts),
        title=Text(article.title or "Article summary", style="bold"),
        subtitle=_footer(result),
        box=box.ROUNDED,
        padding=(1, 2),
    )


def render_terminal(result: SummaryResult, width: int = 100) -> str:
    """The terminal view as plain text (no colour), for files and tests."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(terminal_view(result))
    return buffer.getvalue()


def _meta(result: SummaryResult) -> str:
    article = result.article
    parts = [article.source, article.published.isoformat() if article.published else None]
    parts.append(article.url)
    return " · ".join(p for p in parts if p)


def _footer(result: SummaryResult) -> Text:
    p = result.provenance
    text = f"{p.model} · {p.usage.total_tokens:,} tokens"
    if p.cache_hit:
        text += " · cached"
    return Text(text, style="dim")


def _actors(summary: ArticleSummary) -> Table:
    table = Table(title="Actors", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    for column in ("Name", "Type", "Role", "Affiliation"):
        table.add_column(column, overflow="fold")
    for actor in summary.actors:
        name = actor.name + (f" ({', '.join(actor.aliases)})" if actor.aliases else "")
        table.add_row(
            Text(name, style="bold"),
            actor.type.replace("_", " "),
            actor.role or "—",
            actor.affiliation or "—",
        )
    return table


def _events(summary: ArticleSummary) -> Table:
    table = Table(title="Events", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("What", ratio=4, min_width=24, overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("When", ratio=2, overflow="fold")
    table.add_column("Where", ratio=1, min_width=10, overflow="fold")
    table.add_column("Who", ratio=2, overflow="fold")
    for event in summary.events:
        when = " ".join(
            p for p in (event.when, f"({event.date.isoformat()})" if event.date else None) if p
        )
        what = Text(event.what)
        what.append("\n")
        what.append_text(_quotes(event, indent=""))
        table.add_row(
            what,
            Text(event.status, style=_STATUS_STYLE.get(event.status, "")),
            when or "—",
            event.where or "—",
            ", ".join(_name(summary, p) for p in event.participants) or "—",
        )
    return table


def _quotes(item: Event | Position | Demand, indent: str = "    ") -> Text:
    text = Text(indent)
    for index, evidence in enumerate(item.evidence):
        if index:
            text.append(" · ", style="dim")
        text.append(f"“{evidence.quote}”", style="dim italic")
        if evidence.match == "none":
            text.append(" ⚠ not in the article", style="bold red")
    if item.support == "weak":
        text.append(f" ⚠ {WEAK_SUPPORT_NOTE}", style="yellow")
    return text


def _name(summary: ArticleSummary, actor_id: str) -> str:
    return next((a.name for a in summary.actors if a.id == actor_id), actor_id)
