"""Routes of the inventory API under /api/v1/."""

from django.urls import path

from crm.inventory.api import views

urlpatterns = [
    path("warehouses/", views.WarehouseListApi.as_view(), name="api_warehouses"),
    path("warehouses/<int:pk>/", views.WarehouseDetailApi.as_view(), name="api_warehouse"),
    path("stock/", views.StockListApi.as_view(), name="api_stock"),
    path("stock-moves/", views.MoveListApi.as_view(), name="api_stock_moves"),
    path("stock-moves/<int:pk>/", views.MoveDetailApi.as_view(), name="api_stock_move"),
    path("stock-moves/<int:pk>/reverse/", views.MoveReverseApi.as_view(), name="api_stock_move_reverse"),
    path("serials/<str:serial>/", views.SerialDetailApi.as_view(), name="api_serial"),
]
