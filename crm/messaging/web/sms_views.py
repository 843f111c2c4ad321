"""SMS lines, suppression list (blacklist/opt-outs) and SMS sent/received lists."""

urlpatterns: list = []
