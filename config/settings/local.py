"""The embedded default used by `make run`: SQLite, DEBUG on, one worker."""

from config.settings.base import *  # noqa: F403
from config.env import env_bool

DEBUG = env_bool("CRM_DEBUG", True)
