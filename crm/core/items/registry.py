"""Mention resolvers: the org context tells the platform who `@token` names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# tokens -> {token: [users]}; several resolvers may answer (users, departments…)
MentionResolver = Callable[[Iterable[str]], dict[str, list[Any]]]
# a prefix typed after "@" -> [(token, label, kind)] for the picker
MentionSuggester = Callable[[str, int], list[tuple[str, str, str]]]

_resolvers: list[MentionResolver] = []
_suggesters: list[MentionSuggester] = []


def register_mention_source(resolver: MentionResolver, suggester: MentionSuggester) -> None:
    _resolvers.append(resolver)
    _suggesters.append(suggester)


def mention_resolve(tokens: Iterable[str]) -> dict[str, list[Any]]:
    tokens = list(tokens)
    found: dict[str, list[Any]] = {}
    for resolver in _resolvers:
        for token, users in resolver(tokens).items():
            found.setdefault(token, []).extend(users)
    return found


def mention_suggest(prefix: str, limit: int = 10) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for suggester in _suggesters:
        out.extend(suggester(prefix, limit))
    return out[:limit]
