"""The department tree: materialised paths and depths, moving whole subtrees, no cycles,
no deleting a department that is still in use, and an audit entry with a diff per write."""

from __future__ import annotations

import pytest

from crm.core.audit.models import AuditEntry
from crm.org.errors import OrgError, OrgErrorCode
from crm.org.models import Department
from crm.org.selectors import position_list_for_user
from crm.org.services import department_create, department_delete, department_update, position_save

pytestmark = pytest.mark.django_db


def seg(department: Department) -> str:
    return f"{department.pk:06d}."


@pytest.fixture
def tree(alice):
    """head office > sales > tehran branch;  and a separate root, operations."""
    head = department_create(actor=alice, name="Head office")
    sales = department_create(actor=alice, name="Sales", parent=head)
    tehran = department_create(actor=alice, name="Tehran branch", parent=sales)
    operations = department_create(actor=alice, name="Operations")
    return {"head": head, "sales": sales, "tehran": tehran, "operations": operations}


def reloaded(tree: dict[str, Department]) -> dict[str, tuple[str, int]]:
    return {name: (d.path, d.depth) for name, d in ((n, Department.objects.get(pk=x.pk)) for n, x in tree.items())}


def update(alice, department: Department, parent: Department | None, **extra: object) -> Department:
    return department_update(
        actor=alice, department=department, name=extra.pop("name", department.name), parent=parent, **extra
    )


def test_nested_departments_get_paths_and_depths(tree):
    head, sales, tehran = tree["head"], tree["sales"], tree["tehran"]

    assert reloaded(tree) == {
        "head": (seg(head), 0),
        "sales": (seg(head) + seg(sales), 1),
        "tehran": (seg(head) + seg(sales) + seg(tehran), 2),
        "operations": (seg(tree["operations"]), 0),
    }


def test_moving_a_department_moves_its_whole_subtree(alice, tree):
    head, sales, tehran, operations = tree["head"], tree["sales"], tree["tehran"], tree["operations"]

    # when sales (with its branch) moves under operations
    moved = update(alice, sales, operations)

    # then sales and everything below it has the new path and depth; the rest is untouched
    assert reloaded(tree) == {
        "head": (seg(head), 0),
        "sales": (seg(operations) + seg(sales), 1),
        "tehran": (seg(operations) + seg(sales) + seg(tehran), 2),
        "operations": (seg(operations), 0),
    }
    # and the returned department is up to date too
    assert (moved.path, moved.depth, moved.parent_id) == (seg(operations) + seg(sales), 1, operations.pk)


def test_moving_a_subtree_to_the_top(alice, tree):
    sales, tehran = tree["sales"], tree["tehran"]

    update(alice, sales, None)

    assert reloaded(tree)["sales"] == (seg(sales), 0)
    assert reloaded(tree)["tehran"] == (seg(sales) + seg(tehran), 1)


def test_a_subtree_query_follows_the_move(alice, tree):
    position_save(actor=alice, title="Branch manager", department=tree["tehran"])

    update(alice, tree["sales"], tree["operations"])

    operations = Department.objects.get(pk=tree["operations"].pk)
    head = Department.objects.get(pk=tree["head"].pk)
    assert [p.title for p in position_list_for_user(user=alice, department=operations)] == ["Branch manager"]
    assert list(position_list_for_user(user=alice, department=head)) == []


@pytest.mark.parametrize("new_parent", ["head", "sales", "tehran"])
def test_a_department_cannot_move_under_itself_or_its_descendants(alice, tree, new_parent):
    before = reloaded(tree)

    with pytest.raises(OrgError) as error:
        update(alice, tree["head"], tree[new_parent])

    assert error.value.code == OrgErrorCode.DEPARTMENT_CYCLE
    assert reloaded(tree) == before
    assert Department.objects.get(pk=tree["head"].pk).parent_id is None


def test_a_department_with_sub_departments_cannot_be_deleted(alice, tree):
    with pytest.raises(OrgError) as error:
        department_delete(actor=alice, department=tree["sales"])
    assert error.value.code == OrgErrorCode.DEPARTMENT_IN_USE
    assert Department.objects.filter(pk=tree["sales"].pk).exists()


def test_a_department_with_positions_cannot_be_deleted(alice, tree):
    position_save(actor=alice, title="Clerk", department=tree["operations"])
    with pytest.raises(OrgError) as error:
        department_delete(actor=alice, department=tree["operations"])
    assert error.value.code == OrgErrorCode.DEPARTMENT_IN_USE


def test_an_empty_department_is_deleted_and_audited(alice, tree):
    pk = tree["tehran"].pk
    department_delete(actor=alice, department=tree["tehran"])

    assert not Department.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="department.deleted", target_id=str(pk))
    assert entry.changes == {"name": ["Tehran branch", None]}
    assert entry.actor == alice


def test_create_and_update_are_audited_with_a_diff(alice, tree):
    sales = tree["sales"]
    created = AuditEntry.objects.get(action="department.created", target_id=str(sales.pk))
    assert created.changes == {"name": [None, "Sales"], "parent": [None, tree["head"].pk]}

    update(alice, sales, tree["operations"], name="  Sales & marketing ", code="SM")

    entry = AuditEntry.objects.get(action="department.updated", target_id=str(sales.pk))
    assert entry.changes == {
        "name": ["Sales", "Sales & marketing"],
        "parent_id": [tree["head"].pk, tree["operations"].pk],
        "code": ["", "SM"],
    }
    assert entry.actor == alice


def test_an_update_that_changes_nothing_is_not_audited(alice, tree):
    update(alice, tree["sales"], tree["head"])
    assert not AuditEntry.objects.filter(action="department.updated").exists()
