"""Message templates (CM-5): keeping them (rights, one default per channel), previews for
a real identity with the SMS counter and unknown placeholders, the editor pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.messaging.models import Occasion, Template
from crm.messaging.template_services import (
    TemplateError,
    template_default,
    template_delete,
    template_preview,
    template_save,
    templates_install_defaults,
)
from crm.messaging.tests.m3_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def sms(world, name="Hi", body="Hi {{ identity.first_name }}", **extra):
    return template_save(actor=world.alice, template=None, name=name, channel="sms", body=body, **extra)


def test_one_default_per_channel(world):
    first = sms(world, name="A", is_default=True)
    second = sms(world, name="B", is_default=True)
    email = template_save(
        actor=world.alice, template=None, name="E", channel="email", body="<p>x</p>", is_html=True, is_default=True
    )
    first.refresh_from_db()
    assert not first.is_default and second.is_default and email.is_default
    assert template_default("sms") == second


def test_sms_templates_have_no_subject_or_html_and_html_is_sanitised(world):
    t = sms(world, subject="ignored", is_html=True)
    assert t.subject == "" and not t.is_html
    e = template_save(
        actor=world.alice,
        template=None,
        name="E",
        channel="email",
        body='<p onclick="x()">Hi</p><script>1</script>',
        is_html=True,
    )
    assert e.body == "<p>Hi</p>"


def test_templates_need_rights_and_text(world):
    with pytest.raises(TemplateError):
        sms(world, body="  ")
    with pytest.raises(TemplateError):
        template_save(actor=world.bob, template=None, name="x", channel="sms", body="x")


def test_a_template_in_use_is_deactivated_not_deleted(world):
    used = sms(world, name="Birthday")
    Occasion.objects.create(name="Birthdays", kind="birthday", template=used)
    assert template_delete(actor=world.alice, template=used) is False
    used.refresh_from_db()
    assert not used.active
    free = sms(world, name="Free")
    assert template_delete(actor=world.alice, template=free) is True
    assert not Template.objects.filter(pk=free.pk).exists()


def test_preview_fills_counts_parts_and_flags_unknown_names(world):
    sara = world.identity("sara")
    preview = template_preview(
        body="سلام {{ identity.first_name }} {{ identity.nickname }}", channel="sms", identity_id=sara.pk
    )
    assert preview.text.startswith("سلام Sara")
    assert preview.parts == 1 and preview.length == len(preview.text)
    assert preview.unknown == ["identity.nickname"]  # the custom field is identity.cf.nickname
    long = template_preview(body="س" * 71, channel="sms")
    assert long.parts == 2
    html = template_preview(
        body="<p>{{ identity.first_name }}</p>", channel="email", is_html=True, values={"identity.first_name": "<i>x"}
    )
    assert html.html == "<p>&lt;i&gt;x</p>" and html.text == "<i>x"


def test_default_templates_install_once(world):
    made = templates_install_defaults(actor=world.alice)
    assert made and templates_install_defaults(actor=world.alice) == []
    assert template_default("sms") is not None and template_default("email") is not None


def test_template_pages(client, world):
    t = sms(world, name="Greeting")
    client.force_login(world.charlie)
    assert client.get(reverse("messaging:template_list")).status_code == 403
    assert client.get(reverse("messaging:template_edit", args=[t.pk])).status_code == 403
    assert client.post(reverse("messaging:template_delete", args=[t.pk])).status_code == 302
    assert Template.objects.filter(pk=t.pk).exists()  # the service refused it

    client.force_login(world.alice)
    assert "Greeting" in client.get(reverse("messaging:template_list")).content.decode()
    form = client.get(reverse("messaging:template_create") + "?channel=sms").content.decode()
    assert 'data-insert="{{ identity.first_name }}"' in form
    assert 'data-insert="{{ identity.cf.budget }}"' in form
    response = client.post(
        reverse("messaging:template_create"),
        {
            "name": "New",
            "channel": "sms",
            "context": "identity",
            "body": "Hello {{ identity.cf.budget }}",
            "active": "on",
        },
    )
    created = Template.objects.get(name="New")
    assert response.status_code == 302 and response.url == reverse("messaging:template_edit", args=[created.pk])
    bad = client.post(
        reverse("messaging:template_create"), {"name": "", "channel": "sms", "context": "identity", "body": "x"}
    )
    assert bad.status_code == 200 and Template.objects.count() == 2


def test_preview_page_uses_only_identities_the_user_may_see(client, world):
    hidden = world.identity("hidden")
    url = reverse("messaging:template_preview")
    data = {"body": "Hi {{ identity.first_name }}", "channel": "sms", "preview_identity": hidden.pk}
    client.force_login(world.alice)
    assert "Hi Hidden" in client.post(url, data).content.decode()
    client.force_login(world.bob)
    html = client.post(url, data).content.decode()
    assert "Hidden" not in html and 'data-testid="preview-counter"' in html
    options = client.get(reverse("messaging:template_identity_options"), {"preview_q": "Hidden"}).content.decode()
    assert "Hidden" not in options
    assert client.get(url).status_code == 405
