"""What a search is narrowed to: a typed record the front ends fill (kg.cli, the app, /search),
kept apart from kg.search.searcher so that they need not import the searcher to ask it something."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    territories: tuple[str, ...] = ()  # short name or full name, case-insensitive
    generations: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()  # substring of the partner's name
    partner_types: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    record_types: tuple[str, ...] = ()

    def active(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)
