"""Product groups, products and price lists."""

urlpatterns: list = []
