"""`summarizer browse`: the archive in Datasette, with timeline pictures.

The only module that imports Datasette (the optional extra `browse`). It serves the archive
on loopback only, with canned queries for the views a reader looks for (actors, an actor's
timeline, the day's stories, events by date, costs) and a small plugin, registered from here,
that adds the picture pages (`/-/summarizer/actors/{id}`, `/-/summarizer/stories/{id}`) and
turns the views' timeline cells into links to them. Until the archive's articles are
grouped into stories, the day's view lists the day's articles instead of its stories.
Longer than most modules because Datasette takes the canned queries, their metadata and the
plugin's routes together, at start-up.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import uvicorn
from datasette import Response, hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from markupsafe import Markup, escape

from .archive.hook import open_existing
from .errors import SummarizerError
from .render.timeline import TimelineItem, event_status, render_timeline

HOST = "127.0.0.1"
DEFAULT_PORT = 8001
SHUTDOWN_SECONDS = 3
PLUGIN = "summarizer"
PAGES = "/-/summarizer"
ITEM_LIMIT = 500
TEMPLATES = Path(__file__).parent / "render" / "templates" / "datasette"
# The picture columns of the views, and the page each one links to.
PICTURE_COLUMNS: dict[str, str] = {"actor_timeline": "actors", "story_timeline": "stories"}

# The events an actor (or an actor merged into it) took part in and the positions it took,
# from each article's current summary, oldest first. An event the article gives no date is
# undated (its row's day is the article's); a position is dated by its article.
ACTOR_ITEMS = f"""
select * from (
select case when e.dated then e.day end as day, 'event' as kind, e.status, e.what as text,
  a.id as article, a.title
from event_actors ea
join events e on e.id = ea.event_id
join articles a on a.summary_id = e.summary_id
where ea.actor_id in (select id from actors where id = :actor or merged_into = :actor)
union all
select p.day, 'position', null, p.topic || ': ' || p.stance, a.id, a.title
from positions p
join articles a on a.summary_id = p.summary_id
where p.actor_id in (select id from actors where id = :actor or merged_into = :actor)
)
order by day is null, day
limit {ITEM_LIMIT}
"""

# A story's events, each labelled with its first participant (in the order recorded), from
# every source but the copies, oldest first.
STORY_ITEMS = f"""
select * from (
select case when e.dated then e.day end as day, 'event' as kind, e.status, e.what as text,
  a.id as article, a.title,
  (select ac.name from event_actors ea join actors ac on ac.id = ea.actor_id
   where ea.event_id = e.id order by ea.rowid limit 1) as actor
from story_articles sa
join articles a on a.id = sa.article_id
join events e on e.summary_id = a.summary_id
where sa.story_id = :story and sa.copy_of is null
)
order by day is null, day
limit {ITEM_LIMIT}
"""

QUERIES: dict[str, dict[str, str]] = {
    "actors": {
        "title": "Actors",
        "description": "Every actor the archive knows (one merged into another is under that "
        "one), most often named first; `name` finds part of any name it goes by.",
        # Counted from the index alone: a first and last day would read every summary row
        # (the actor's page shows its days).
        "sql": """
select ac.id, ac.name, ac.type,
  (select count(*) from summary_actors sa where sa.actor_id = ac.id) as summaries,
  ac.id as actor_timeline
from actors ac
where ac.merged_into is null
  and (:name = '' or exists (
    select 1 from actor_aliases al
    where al.actor_id = ac.id
      and (al.name like '%' || :name || '%' or al.alias like '%' || :name || '%')))
order by summaries desc, ac.name
""",
    },
    "actor_timeline": {
        "title": "An actor's timeline",
        "description": "The events an actor took part in and the positions it took, by day "
        "(the picture: follow the actor's timeline link in Actors).",
        "sql": ACTOR_ITEMS,
    },
    "events_by_date": {
        "title": "Events by date",
        "description": "Events between two days (YYYY-MM-DD; leave empty for no bound), with "
        "their actors and article; `dated` is 0 when the article gave no date and the day "
        "is the article's.",
        "sql": """
select e.day, e.dated, e.status, e.category, e.what, e.place,
  (select group_concat(ac.name, ', ') from event_actors ea join actors ac on ac.id = ea.actor_id
   where ea.event_id = e.id) as actors,
  a.title as article, a.id as article_id
from events e
join articles a on a.summary_id = e.summary_id
where (:from = '' or e.day >= :from) and (:to = '' or e.day <= :to)
order by e.day desc, e.id
""",
    },
    "costs": {
        "title": "Costs by day",
        "description": "Summaries, model calls (re-asks included), tokens and cost per day, "
        "and what the response cache saved.",
        "sql": """
select day, summaries, articles, calls, reasks, cache_hits, prompt_tokens, completion_tokens,
  round(cost_usd, 6) as cost_usd, unpriced, round(saved_usd, 6) as saved_usd,
  round(seconds, 1) as seconds
from ledger_by_day
order by day desc
""",
    },
}

TODAY_STORIES = {
    "title": "Today's stories",
    "description": "Stories with news on a day (YYYY-MM-DD; empty: today, UTC), most sources "
    "first.",
    "sql": """
select st.id, st.title, st.first_day, st.last_day, count(sa.article_id) as sources,
  sum(sa.copy_of is not null) as copies, st.id as story_timeline
from stories st
join story_articles sa on sa.story_id = st.id
where st.last_day = coalesce(nullif(:day, ''), date('now'))
group by st.id
order by sources desc, st.id
""",
}

TODAY_ARTICLES = {
    "title": "Today's articles",
    "description": "Articles summarised on a day (YYYY-MM-DD; empty: today, UTC). Stories "
    "appear here once articles have been grouped into stories.",
    "sql": """
select a.id, a.title, a.source, a.url, a.published, s.created as summarised
from summaries s
join articles a on a.id = s.article_id
where substr(s.created, 1, 10) = coalesce(nullif(:day, ''), date('now'))
order by s.created desc
""",
}


class BrowseError(SummarizerError):
    """The port cannot be listened on."""


def app(archive: Path | None = None) -> Any:
    """The Datasette ASGI application over the archive file, with our views and pictures."""
    return datasette(archive).app()


def datasette(archive: Path | None = None) -> Datasette:
    """A Datasette instance over the archive (default: the configured one), our plugin in it.

    The archive is upgraded to the current schema first, if it is older (the views read
    the current tables); Datasette then reads it read-only.
    """
    opened = open_existing(archive)
    archive = Path(opened.name)
    opened.close()
    if not pm.has_plugin(PLUGIN):
        pm.register(sys.modules[__name__], name=PLUGIN)
    name = archive.stem
    return Datasette(
        files=[str(archive)],
        metadata={
            "title": "Summarizer archive",
            "databases": {name: {"description_html": _front_page(name)}},
            "plugins": {PLUGIN: {"database": name}},
        },
        template_dir=str(TEMPLATES),
        settings={"default_page_size": 50, "sql_time_limit_ms": 2000},
    )


def serve(
    archive: Path | None = None, *, port: int = DEFAULT_PORT, open_browser: bool = True
) -> None:
    """Serve the archive (default: the user's) on 127.0.0.1:port until interrupted.

    Opens a web browser on it once the server listens, unless `open_browser` is false.
    """
    application = datasette(archive)
    name = _database(application)
    url = f"http://{HOST}:{port}{application.urls.database(name)}"
    # Loopback only: the archive holds every article read, and Datasette runs any SQL.
    config = uvicorn.Config(
        application.app(),
        host=HOST,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,  # a browser's open connection
    )
    server = uvicorn.Server(config)
    announce = threading.Thread(
        target=_when_listening,
        args=(server, f"browsing {application.files[0]} at {url}", url, open_browser),
    )
    announce.daemon = True
    announce.start()
    try:
        server.run()
    except SystemExit:
        raise BrowseError(f"cannot listen on {HOST}:{port}; is it in use? (--port N)") from None


def _when_listening(server: uvicorn.Server, message: str, url: str, open_browser: bool) -> None:
    """Say where the archive is served, and open a browser on it, once the server listens."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        print(f"{message} (Ctrl-C to stop)", file=sys.stderr)
        if open_browser:
            webbrowser.open(url)


def _front_page(database: str) -> str:
    links = {
        "actors": "actors, each with its timeline picture",
        "today": "today's stories (or, before stories are grouped, articles)",
        "events_by_date": "events by date",
        "costs": "costs by day",
    }
    items = "".join(
        f'<li><a href="/{escape(database)}/{query}">{text}</a></li>'
        for query, text in links.items()
    )
    return f"<p>What your summaries recorded:</p><ul>{items}</ul>"


def _ours(datasette: Datasette, database: str | None) -> bool:
    config = datasette.plugin_config(PLUGIN) or {}
    return database is not None and database == config.get("database")


@hookimpl
def canned_queries(datasette: Datasette, database: str) -> Any:
    """The archive's views; today's stories once the archive has stories."""

    async def queries() -> dict[str, Any]:
        if not _ours(datasette, database):
            return {}
        views = {**QUERIES, "today": TODAY_STORIES if await _grouped(datasette) else TODAY_ARTICLES}
        # The SQL stays one click away ("show"): a reader comes for the rows.
        return {name: {**view, "hide_sql": True} for name, view in views.items()}

    return queries


async def _grouped(datasette: Datasette) -> bool:
    """Whether the archive has stories (the digest groups its articles into them)."""
    db = datasette.get_database(_database(datasette))
    return bool((await db.execute("select exists (select 1 from stories)")).single_value())


@hookimpl
def render_cell(value: Any, column: str, database: str, datasette: Datasette) -> Markup | None:
    """A picture column's id as a link to its timeline page."""
    page = PICTURE_COLUMNS.get(column)
    if page is None or not _ours(datasette, database) or not isinstance(value, int):
        return None
    href = datasette.urls.path(f"{PAGES}/{page}/{value}")
    return Markup(f'<a href="{escape(href)}">timeline</a>')


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """The picture pages."""
    return [
        (rf"^{PAGES}/actors/(?P<id>\d+)$", _actor_page),
        (rf"^{PAGES}/stories/(?P<id>\d+)$", _story_page),
    ]


async def _subject(datasette: Datasette, request: Any, sql: str) -> tuple[str, int, Any]:
    """The archive's name, the page's id, and the row `sql` finds for it (None if none)."""
    database, number = _database(datasette), int(request.url_vars["id"])
    found = await datasette.get_database(database).execute(sql, [number])
    return database, number, found.first()


async def _actor_page(datasette: Datasette, request: Any) -> Response:
    sql = "select name, type from actors where id = ?"
    database, actor, found = await _subject(datasette, request, sql)
    if found is None:
        return await _not_found(datasette, request, database, f"No actor {actor}.")
    name, kind = found
    db = datasette.get_database(database)
    aliases = await db.execute(
        "select name from actor_aliases where actor_id = ? and name != ? order by name",
        [actor, name],
    )
    rows = await db.execute(ACTOR_ITEMS, {"actor": actor})
    items = [_item(datasette, database, row, actor=None) for row in rows.rows]
    also = ", ".join(row["name"] for row in aliases.rows)
    return await _picture_page(
        datasette,
        request,
        database=database,
        heading=name,
        subtitle=" · ".join(
            part
            for part in (kind, f"also called {also}" if also else "", f"{len(items)} items")
            if part
        ),
        items=items,
        table_url=datasette.urls.query(database, "actor_timeline") + f"?actor={actor}",
    )


async def _story_page(datasette: Datasette, request: Any) -> Response:
    sql = "select title, first_day, last_day from stories where id = ?"
    database, story, found = await _subject(datasette, request, sql)
    if found is None:
        return await _not_found(datasette, request, database, f"No story {story}.")
    title, first, last = found
    rows = await datasette.get_database(database).execute(STORY_ITEMS, {"story": story})
    items = [_item(datasette, database, row, actor=row["actor"]) for row in rows.rows]
    return await _picture_page(
        datasette,
        request,
        database=database,
        heading=title or f"Story {story}",
        subtitle=f"{first} to {last} · {len(items)} events",
        items=items,
        table_url=None,
    )


def _database(datasette: Datasette) -> str:
    return str((datasette.plugin_config(PLUGIN) or {})["database"])


def _item(
    datasette: Datasette, database: str, row: Mapping[str, Any], *, actor: str | None
) -> TimelineItem:
    day = dt.date.fromisoformat(row["day"]) if row["day"] else None
    return TimelineItem(
        day=day,
        kind=row["kind"],
        actor=actor,
        text=row["text"],
        note=row["title"],
        status=event_status(row["status"]),
        link=datasette.urls.row(database, "articles", str(row["article"])),
    )


async def _not_found(datasette: Datasette, request: Any, database: str, message: str) -> Response:
    # Not raised as NotFound: Datasette prints every raised exception's traceback.
    response = await _picture_page(
        datasette,
        request,
        database=database,
        heading="Not found",
        subtitle=message,
        items=[],
        table_url=None,
    )
    response.status = 404
    return response


async def _picture_page(
    datasette: Datasette,
    request: Any,
    *,
    database: str,
    heading: str,
    subtitle: str,
    items: list[TimelineItem],
    table_url: str | None,
) -> Response:
    html = await datasette.render_template(
        "summarizer_timeline.html",
        {
            "database": database,
            "heading": heading,
            "subtitle": subtitle,
            "picture": render_timeline(items, width=960) if items else None,
            "table_url": table_url,
            "limit": ITEM_LIMIT,
            "count": len(items),
        },
        request=request,
    )
    return Response.html(html)
