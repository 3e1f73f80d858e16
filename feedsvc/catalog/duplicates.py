"""Settle duplicate slugs and ids: first come keeps, else the earlier date, then the path.

An article already published keeps its slug and id whatever date a newcomer
claims (the caller says which one is ``established``). Between newcomers seen
at once, the earlier date wins, then the path; undated articles (no written
date, no record yet) come last. The winner gets a warning naming the others;
each loser an error naming the winner and saying what to change. Tags of
different names that share a slug (one tag page) are reported too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from ..errors import ArticleError, Problem, warning
from ..model import Article
from .snapshot import sort_key

FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def winners(
    articles: Iterable[Article],
    key: Callable[[Article], str],
    what: str,
    first_date: Callable[[Article], datetime | None],
    established: Callable[[str, list[Article]], Article | None] | None = None,
) -> tuple[list[Article], list[Problem]]:
    """Return one article per KEY (named WHAT in messages), and the problems of the rest."""
    articles = list(articles)
    keys = [key(a) for a in articles]
    if len(set(keys)) == len(keys):
        return articles, []  # no duplicates: the usual case, kept cheap
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(key(article), []).append(article)
    kept, problems = [], []
    for name, group in groups.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        group.sort(key=lambda a: (first_date(a) or FAR_FUTURE, a.path))
        first = established(name, group) if established else None
        why, fix = "the earlier date, then the path", "change one of them"
        if first is not None:
            group.remove(first)
            group.insert(0, first)
            why = "published first: it keeps it, whatever date another file gives"
            fix = "change this file"
        kept.append(group[0])
        others = ", ".join(a.path for a in group[1:])
        problems.append(
            warning(
                group[0].path,
                f"{what} {name!r} is also claimed by {others}; this file wins ({why})",
            )
        )
        for loser in group[1:]:
            problems.append(
                ArticleError(
                    loser.path,
                    f"duplicate {what} {name!r}, also in {group[0].path} "
                    f"which wins ({why}): {fix}",
                ).problem
            )
    return kept, problems


def tag_clashes(articles: Iterable[Article]) -> list[Problem]:
    """Return a warning for each tag whose slug an earlier article's other tag has.

    Earlier as pages list them (newest first), so the name a tag page shows wins. The
    articles are sorted only when some slug has two names: a first start's 100,000 took
    0.4 s to sort, and clashes are rare.
    """
    articles = list(articles)
    if _one_name_each(articles):
        return []
    first: dict[str, str] = {}
    problems = []
    for article in sorted(articles, key=sort_key):
        for tag in article.tags:
            name = first.setdefault(tag.slug, tag.name)
            if name.casefold() != tag.name.casefold():
                problems.append(
                    warning(
                        article.path,
                        f"tag {tag.name!r} has the slug {tag.slug!r} of tag {name!r}: both are "
                        f"listed on one page, as {name!r}; rename one to keep them apart",
                    )
                )
    return problems


def _one_name_each(articles: list[Article]) -> bool:
    """Say whether every tag slug of ARTICLES has one name (ignoring case): no clash."""
    names: dict[str, str] = {}
    for article in articles:
        for tag in article.tags:
            name = names.setdefault(tag.slug, tag.name)
            if name != tag.name and name.casefold() != tag.name.casefold():
                return False
    return True
