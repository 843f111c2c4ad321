"""Categories admin (ID-2): the tree, create/edit with access by position, the cycle
error on the parent field, delete, and the rights each step needs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.identities import services
from crm.identities.models import Category
from crm.identities.tests.test_web_support import grant
from crm.org.testing import make_position

pytestmark = pytest.mark.django_db


def save(actor, name, parent=None, **extra):
    return services.category_save(
        actor=actor,
        category=None,
        name=name,
        parent=parent,
        restricted=extra.get("restricted", False),
        positions=extra.get("positions", []),
    )


def test_tree_lists_children_under_parents_with_access(client, alice):
    board = make_position("Board")
    customers = save(alice, "Customers")
    save(alice, "VIP", parent=customers, restricted=True, positions=[board])
    client.force_login(alice)

    html = client.get(reverse("category_list")).content.decode()

    assert html.index("Customers") < html.index("VIP")
    assert "restricted" in html
    assert "Board" in html


def test_create_restricted_category_with_positions(client, alice):
    board = make_position("Board")
    parent = save(alice, "Customers")
    client.force_login(alice)

    response = client.post(
        reverse("category_create"), {"name": "VIP", "parent": parent.pk, "restricted": "on", "positions": [board.pk]}
    )

    assert response.status_code == 302
    vip = Category.objects.get(name="VIP")
    assert (vip.parent, vip.restricted, list(vip.positions.all())) == (parent, True, [board])
    assert vip.path.startswith(parent.path)


def test_parent_cannot_be_a_subcategory(client, alice):
    top = save(alice, "Top")
    child = save(alice, "Child", parent=top)
    client.force_login(alice)

    page = client.get(reverse("category_edit", args=[top.pk]))
    assert child.pk not in [c.pk for c in page.context["form"].fields["parent"].queryset]
    response = client.post(reverse("category_edit", args=[top.pk]), {"name": "Top", "parent": child.pk})

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors


def test_delete_refuses_a_category_with_children(client, alice):
    top = save(alice, "Top")
    save(alice, "Child", parent=top)
    client.force_login(alice)

    response = client.post(reverse("category_delete", args=[top.pk]), follow=True)

    assert Category.objects.filter(pk=top.pk).exists()
    assert "still has sub-categories" in response.content.decode()


def test_delete_a_leaf(client, alice):
    leaf = save(alice, "Leaf")
    client.force_login(alice)

    client.post(reverse("category_delete", args=[leaf.pk]))

    assert not Category.objects.filter(pk=leaf.pk).exists()


def test_rights_per_step(client, alice, bob, bob_position):
    leaf = save(alice, "Leaf")
    viewer = grant(bob, bob_position, "identities.view_category")
    client.force_login(viewer)

    assert client.get(reverse("category_list")).status_code == 200
    assert client.get(reverse("category_create")).status_code == 403
    assert client.get(reverse("category_edit", args=[leaf.pk])).status_code == 403
    assert client.post(reverse("category_delete", args=[leaf.pk])).status_code == 403
    assert Category.objects.filter(pk=leaf.pk).exists()


def test_charlie_is_refused_everywhere(client, alice, charlie):
    leaf = save(alice, "Leaf")
    client.force_login(charlie)

    assert client.get(reverse("category_list")).status_code == 403
    assert client.get(reverse("category_edit", args=[leaf.pk])).status_code == 403
    assert client.post(reverse("category_delete", args=[leaf.pk])).status_code == 403
