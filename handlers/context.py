"""The typed callback context: dependencies reachable without casts in every callback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.flows.engine import FlowEngine
from jobs.dispatcher import Dispatcher


@dataclass
class Deps:
    """What handlers and jobs need, built once by the composition root."""

    settings: Settings
    db: Database
    clock: Clock
    flows: FlowEngine
    dispatcher: Dispatcher | None = None
    bot_username: str = ""


class ChibotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext exposing our dependencies as `context.deps`."""

    @property
    def deps(self) -> Deps:
        """Returns the dependencies stored in bot_data by the composition root."""
        deps = self.application.bot_data["deps"]
        if not isinstance(deps, Deps):
            raise TypeError("bot_data['deps'] is not set up")
        return deps


ChibotApp = Application[
    ExtBot[None], ChibotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
