"""Message templates with smart parameters: editor, placeholder picker, preview."""

urlpatterns: list = []
