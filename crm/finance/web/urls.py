"""Pages of finance (signed-in staff)."""

from django.urls import path

from crm.finance.web import views

app_name = "finance"

urlpatterns = [
    path("receipts/", views.receipt_list, name="receipt_list"),
    path("receipts/new/", views.receipt_create, name="receipt_create"),
    path("receipts/allocations/", views.receipt_allocations, name="receipt_allocations"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt_detail"),
    path("receipts/<int:pk>/edit/", views.receipt_edit, name="receipt_edit"),
    path("receipts/<int:pk>/cancel/", views.receipt_cancel, name="receipt_cancel"),
    path("cheques/", views.cheque_list, name="cheque_list"),
    path("cheques/<int:pk>/status/", views.cheque_status, name="cheque_status"),
    path("links/", views.link_list, name="link_list"),
    path("links/new/", views.link_create, name="link_create"),
    path("links/<int:pk>/", views.link_detail, name="link_detail"),
    path("links/<int:pk>/send/", views.link_send, name="link_send"),
    path("links/<int:pk>/cancel/", views.link_cancel, name="link_cancel"),
    path("balances/", views.balance_list, name="balance_list"),
    path("statement/<int:identity_id>/", views.statement, name="statement"),
]
