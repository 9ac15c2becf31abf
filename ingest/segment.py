"""From blocks to passages: section paths, offsets into the normalised text, stable ids."""

from __future__ import annotations

import hashlib

from ingest.model import BLOCK_SEPARATOR, BlockKind, Document, Passage


def passage_id(document_id: str, text: str, seen: dict[str, int]) -> str:
    """`<document>#<hash of text>`, suffixed when the same text occurs again in the document.

    Keyed on content rather than position so that an edit early in a document does not renumber
    every passage after it (ids are what the graph and the search index cite).
    """
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    return f"{document_id}#{digest}" + (f"-{n}" if n else "")


def segment(document: Document) -> list[Passage]:
    """One passage per block, each knowing the chain of headings above it."""
    passages: list[Passage] = []
    stack: list[tuple[int, str]] = []  # (level, heading text)
    seen: dict[str, int] = {}
    offset = 0
    for index, block in enumerate(document.blocks):
        if block.kind == BlockKind.HEADING:
            level = block.level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            path = tuple(h for _, h in stack)
            stack.append((level, block.text))
        else:
            path = tuple(h for _, h in stack)
        passages.append(
            Passage(
                id=passage_id(document.id, block.text, seen),
                document_id=document.id,
                index=index,
                text=block.text,
                kind=block.kind,
                section_path=path,
                page=block.page,
                line_start=block.line_start,
                line_end=block.line_end,
                char_start=offset,
                char_end=offset + len(block.text),
                heading_level=block.level if block.kind == BlockKind.HEADING else None,
            )
        )
        offset += len(block.text) + len(BLOCK_SEPARATOR)
    return passages
