"""Trees stored with a materialised path (departments, identity categories, product groups…).

A model with `parent`, `path` ("000003.000017.") and `depth` fields gets its path from these
two functions, so a subtree is one `path__startswith` query and a move rewrites it once.
"""

from __future__ import annotations

from typing import Any

from django.db import models


def tree_path(parent: Any, pk: int) -> tuple[str, int]:
    return ((parent.path if parent else "") + f"{pk:06d}.", (parent.depth + 1) if parent else 0)


def tree_place(node: models.Model) -> None:
    """Give a just-created node its path and depth from its parent."""
    node.path, node.depth = tree_path(node.parent, node.pk)  # type: ignore[attr-defined]
    node.save(update_fields=["path", "depth"])


def tree_move(node: models.Model, old_path: str) -> None:
    """After `node.parent` changed (and was saved), rewrite the paths of it and its subtree.

    Call inside the transaction that changed the parent; rows are locked while rewritten.
    """
    new_path, new_depth = tree_path(node.parent, node.pk)  # type: ignore[attr-defined]
    if new_path == old_path:
        return
    shift = new_depth - node.depth  # type: ignore[attr-defined]
    for row in type(node)._base_manager.filter(path__startswith=old_path).select_for_update():
        row.path, row.depth = new_path + row.path[len(old_path) :], row.depth + shift
        row.save(update_fields=["path", "depth"])
    node.path, node.depth = new_path, new_depth  # type: ignore[attr-defined]
