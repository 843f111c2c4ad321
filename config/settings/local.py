"""The embedded default used by `make run`: SQLite, DEBUG on, one worker."""

from config.env import env_bool
from config.settings.base import *

DEBUG = env_bool("CRM_DEBUG", True)
