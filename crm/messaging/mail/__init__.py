"""Email in and out (CM-2, PL-11): mailboxes, the SMTP transport, IMAP fetch, the composer."""
