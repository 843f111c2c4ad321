"""My email (inbox, sent, threads, composer), mailboxes and their access, fax lists."""

urlpatterns: list = []
