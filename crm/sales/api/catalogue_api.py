"""Products, product groups and price lists API."""

urlpatterns: list = []
