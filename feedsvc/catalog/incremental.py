"""A snapshot changed in place: edited articles patched in, new articles inserted,
deleted articles taken out.

Pure, and O(changed articles), never O(articles): an article is found in the
snapshot's order (newest first, then slug) by bisection, and so is it in each
group that holds it (its tags, authors and month keep that order); the version
adds and subtracts the digests of the articles changed. Only changes that move
nothing else qualify (``keeps_place``, ``takes_no_place``, ``leaves_alone``);
the catalog rebuilds the snapshot for the others, with the same result.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ..errors import Problem
from ..model import Article, written
from .snapshot import (
    SUMS,
    Snapshot,
    Tombstone,
    author_slug,
    digest,
    digest_sum,
    published_at,
    sort_key,
    stone_key,
    tail_of,
    version,
)

Groups = dict[str, tuple[Any, tuple[Article, ...]]]


def keeps_place(old: Article, new: Article) -> bool:
    """Say whether NEW, an edit of OLD, keeps OLD's place in every list and group."""
    return (
        not new.draft
        and not old.draft
        and (new.slug, new.aliases, new.tags, new.authors, written(new)[:2])
        == (old.slug, old.aliases, old.tags, old.authors, written(old)[:2])
        and (new.date_pinned, new.id_pinned, new.old_paths)
        == (old.date_pinned, old.id_pinned, old.old_paths)
    )


def takes_no_place(new: Article, before: Snapshot, slugs: Mapping[str, object]) -> bool:
    """Say whether NEW, a new article as read, can be inserted into BEFORE as it is.

    Not a draft, no alias, old path or expiry; a slug that no record (SLUGS), redirect
    or other article has; tags that no published or scheduled article names otherwise.
    """
    if new.draft or new.aliases or new.old_paths or new.expires is not None:
        return False
    if new.slug in slugs or new.slug in before.redirects:
        return False
    names = {tag.slug: tag.name.casefold() for tag in new.tags}
    if len(names) != len(new.tags):
        return False  # two tags that share a slug: a clash to report
    for slug, name in names.items():  # the other articles' names of its tags, looked up
        if before.waiting_tags.get(slug, frozenset({name})) != {name}:
            return False  # a scheduled article names it otherwise
        if slug in before.tags and before.tags[slug][0].name.casefold() != name:
            return False
    return True


def _swapped(items: tuple[Article, ...], old: Article, new: Article) -> tuple[Article, ...]:
    """Return ITEMS (in the snapshot's order) with NEW in place of OLD, found by bisection."""
    start = end = bisect_left(items, sort_key(old), key=sort_key)
    while end < len(items) and items[end] is old:  # twice: two tags that share a slug
        end += 1
    if start == end:  # not where its order puts it: cannot happen, but stay right
        return tuple(new if a is old else a for a in items)
    return items[:start] + (new,) * (end - start) + items[end:]


def swap(groups: Groups, keys: Iterable[str], old: Article, new: Article) -> None:
    """Put NEW in place of OLD in the GROUPS (tags or authors) named by KEYS."""
    for key in set(keys) & groups.keys():
        head, items = groups[key]
        groups[key] = (head, _swapped(items, old, new))


def _month(article: Article) -> str:
    published = article.published
    assert published is not None  # resolved
    return f"{published.year:04d}-{published.month:02d}"


def patch(
    before: Snapshot, swaps: Sequence[tuple[Article, Article]], problems: tuple[Problem, ...]
) -> Snapshot:
    """Return BEFORE with each (old, new) of SWAPS in old's place (``keeps_place``)."""
    live, by_slug, tags = list(before.articles), dict(before.by_slug), dict(before.tags)
    authors, months, old_paths = dict(before.authors), dict(before.months), before.old_paths
    total = before.total + digest_sum(digest(new) for _, new in swaps)
    total -= digest_sum(digest(old) for old, _ in swaps)
    for old, new in swaps:
        at = bisect_left(before.articles, sort_key(old), key=sort_key)
        assert before.articles[at] is old, "patch: an article out of its place"
        live[at] = by_slug[new.slug] = new
        swap(tags, {t.slug for t in new.tags}, old, new)
        swap(authors, {author_slug(a) for a in new.authors}, old, new)
        months[_month(new)] = _swapped(months[_month(new)], old, new)
        if new.old_paths:
            old_paths = dict(old_paths) if old_paths is before.old_paths else old_paths
            old_paths.update((p, new) for p in new.old_paths if old_paths.get(p) is old)
    return replace(
        before,
        articles=tuple(live),
        by_slug=by_slug,
        tags=tags,
        authors=authors,
        months=months,
        old_paths=old_paths,
        total=total % SUMS,
        version=version(total % SUMS, before.tail),
        problems=problems,
    )


def _put(groups: Groups, key: str, head: Any, new: Article) -> bool:
    """Insert NEW in its place in GROUPS[KEY], whose head is its first article's HEAD.

    Return whether the group is new.
    """
    if key not in groups:
        groups[key] = (head, (new,))
        return True
    first, items = groups[key]
    at = bisect_left(items, sort_key(new), key=sort_key)
    groups[key] = (head if at == 0 else first, items[:at] + (new,) + items[at:])
    return False


def insert(
    before: Snapshot,
    added: Sequence[Article],
    now: datetime,
    problems: tuple[Problem, ...],
    taken: Callable[[Article], bool],
) -> Snapshot | None:
    """Return BEFORE with ADDED (resolved, each ``takes_no_place``) in their places.

    None when one is not published by NOW, or has an id that another article may have
    (TAKEN says so; it may say so of an id nobody shows: the caller then rebuilds), or
    that a tombstone of BEFORE has.
    """
    ids = {a.id for a in added}
    if len(ids) < len(added) or any(published_at(a) > now or taken(a) for a in added):
        return None
    if any(t.id in ids for t in before.tombstones):
        return None
    live, by_slug, tags = before.articles, dict(before.by_slug), dict(before.tags)
    authors, total = dict(before.authors), before.total + digest_sum(map(digest, added))
    months: Groups = {month: (None, items) for month, items in before.months.items()}
    new_tag = new_author = False
    for new in added:
        at = bisect_left(live, sort_key(new), key=sort_key)
        live = live[:at] + (new,) + live[at:]
        by_slug[new.slug] = new
        new_tag |= any([_put(tags, tag.slug, tag, new) for tag in new.tags])
        named = {author_slug(a): a for a in reversed(new.authors)}  # the first of a name
        new_author |= any([_put(authors, slug, a, new) for slug, a in named.items() if slug])
        _put(months, _month(new), None, new)
    return replace(
        before,
        articles=live,
        by_slug=by_slug,
        tags=dict(sorted(tags.items())) if new_tag else tags,
        authors=dict(sorted(authors.items())) if new_author else authors,
        months={month: items for month, (_, items) in sorted(months.items())},
        total=total % SUMS,
        version=version(total % SUMS, before.tail),
        problems=problems,
    )


def leaves_alone(old: Article, before: Snapshot) -> bool:
    """Say whether OLD, a published article of BEFORE whose file went, takes only itself
    out: no alias, old path or expiry of its own, and no redirect that its slug hides."""
    return (
        before.by_slug.get(old.slug) is old
        and not (old.aliases or old.old_paths or old.expires is not None)
        and old.slug not in before.shadowed
    )


def _pull(groups: Groups, key: str, old: Article, head: Callable[[Article], Any]) -> None:
    """Take OLD out of GROUPS[KEY]; its head is then the next article's (HEAD), or it goes."""
    first, items = groups[key]
    start = end = bisect_left(items, sort_key(old), key=sort_key)
    while end < len(items) and items[end] is old:  # twice: two tags that share a slug
        end += 1
    rest = items[:start] + items[end:]
    if not rest:
        del groups[key]
    else:
        groups[key] = (first if start else head(rest[0]), rest)


def remove(
    before: Snapshot,
    gone: Sequence[tuple[Article, Tombstone | None]],
    now: datetime,
    keep: timedelta,
    problems: tuple[Problem, ...],
    moved: Mapping[str, str] | None = None,
) -> Snapshot:
    """Return BEFORE without the articles of GONE (each ``leaves_alone``), each slug then
    gone (410) and, if its deletion is recent for KEEP, its tombstone in the feeds; or,
    for the slugs of MOVED (a rename: old slug -> new), a redirect instead (no tombstone).
    """
    moved = moved or {}
    live, by_slug, tags = before.articles, dict(before.by_slug), dict(before.tags)
    authors, total = dict(before.authors), before.total - digest_sum(digest(a) for a, _ in gone)
    months: Groups = {month: (None, items) for month, items in before.months.items()}
    stones, due = list(before.tombstones), before.next_due
    for old, stone in gone:
        at = bisect_left(live, sort_key(old), key=sort_key)
        assert live[at] is old, "remove: an article out of its place"
        live = live[:at] + live[at + 1 :]
        del by_slug[old.slug]
        for slug in {tag.slug for tag in old.tags}:
            _pull(tags, slug, old, partial(_tagged, slug))
        for slug in {author_slug(a) for a in old.authors} - {""}:
            _pull(authors, slug, old, partial(_named, slug))
        _pull(months, _month(old), old, _nothing)
        if stone is not None and stone.when + keep > now:  # as ``assemble`` keeps recent ones
            stones.insert(bisect_left(stones, stone_key(stone), key=stone_key), stone)
            due = min(d for d in (due, stone.when + keep) if d is not None)
    gone_now = before.gone | {old.slug for old, _ in gone if old.slug not in moved}
    redirects = before.redirects | dict(moved) if moved else before.redirects
    tail = tail_of(redirects, gone_now, stones)
    return replace(
        before,
        articles=live,
        by_slug=by_slug,
        redirects=redirects,
        gone=gone_now,
        tags=tags,
        authors=authors,
        months={month: items for month, (_, items) in months.items()},
        tombstones=tuple(stones),
        next_due=due,
        total=total % SUMS,
        tail=tail,
        version=version(total % SUMS, tail),
        problems=problems,
    )


def _tagged(slug: str, article: Article) -> Any:
    """Return the first of ARTICLE's tags of SLUG: a group's head, as ``assemble`` takes it."""
    return next(tag for tag in article.tags if tag.slug == slug)


def _named(slug: str, article: Article) -> Any:
    """Return the first of ARTICLE's authors of SLUG (``snapshot.by_author``'s head)."""
    return next(a for a in article.authors if author_slug(a) == slug)


def _nothing(article: Article) -> None:
    return None  # a month's articles have no head
