"""Routes of the finance API under /api/v1/."""

from django.urls import path

from crm.finance.api import views

urlpatterns = [
    path("receipts/", views.ReceiptListApi.as_view(), name="api_receipts"),
    path("receipts/<int:pk>/", views.ReceiptDetailApi.as_view(), name="api_receipt"),
    path("receipts/<int:pk>/cancel/", views.ReceiptCancelApi.as_view(), name="api_receipt_cancel"),
    path("cheques/", views.ChequeListApi.as_view(), name="api_cheques"),
    path("cheques/<int:pk>/", views.ChequeDetailApi.as_view(), name="api_cheque"),
    path("cheques/<int:pk>/status/", views.ChequeStatusApi.as_view(), name="api_cheque_status"),
    path("payment-links/", views.PaymentLinkListApi.as_view(), name="api_payment_links"),
    path("payment-links/<int:pk>/", views.PaymentLinkDetailApi.as_view(), name="api_payment_link"),
    path("payment-links/<int:pk>/cancel/", views.PaymentLinkCancelApi.as_view(), name="api_payment_link_cancel"),
    path("balances/<int:identity>/", views.BalanceApi.as_view(), name="api_balance"),
    path("statements/<int:identity>/", views.StatementApi.as_view(), name="api_statement"),
]
