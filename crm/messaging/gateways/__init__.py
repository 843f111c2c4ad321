"""SMS gateway adapters (Kannel; further providers plug in through `register_gateway`)."""

from crm.messaging.gateways import kannel  # noqa: F401  (registers "kannel")
