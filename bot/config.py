"""Settings read from the environment and `.env`; built by the entry point, never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org"
ZALO_API_URL = "https://bot-api.zaloplatforms.com"


class Settings(BaseSettings):
    """Everything an operator can configure; see the README for each variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    database_url: str = Field(default="sqlite:///chibot.db", alias="CHIBOT_DATABASE_URL")
    telegram_api_url: str = Field(default=TELEGRAM_API_URL, alias="CHIBOT_TELEGRAM_API_URL")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", alias="CHIBOT_TIMEZONE")
    locale: str = Field(default="vi", alias="CHIBOT_LOCALE")
    webhook_url: str | None = Field(default=None, alias="CHIBOT_WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, alias="CHIBOT_WEBHOOK_SECRET")
    listen: str = Field(default="127.0.0.1:8443", alias="CHIBOT_LISTEN")
    # Telegram's limits; lower them if a bot shares its token's budget with something else.
    rate_global_per_second: float = Field(default=30.0, alias="CHIBOT_RATE_GLOBAL")
    rate_private_per_second: float = Field(default=1.0, alias="CHIBOT_RATE_PRIVATE")
    rate_group_per_minute: float = Field(default=20.0, alias="CHIBOT_RATE_GROUP")
    http_timeout: float = Field(default=10.0, alias="CHIBOT_HTTP_TIMEOUT")
    tick_seconds: float = Field(default=30.0, alias="CHIBOT_TICK_SECONDS")
    retry_base_seconds: float = Field(default=2.0, alias="CHIBOT_RETRY_BASE_SECONDS")
    # The longest wait between two attempts at a message (it is retried while still useful).
    retry_max_seconds: float = Field(default=300.0, alias="CHIBOT_RETRY_MAX_SECONDS")
    # A person sending more commands than this in a minute is told to slow down, once, and
    # then ignored for a minute (0: no limit).
    flood_commands_per_minute: int = Field(default=20, alias="CHIBOT_FLOOD_COMMANDS")
    # Replies waiting to be sent to one chat beyond which new replies there are not queued.
    reply_queue_cap: int = Field(default=30, alias="CHIBOT_REPLY_QUEUE_CAP")
    # Sent rows keep their delivery record for good; their payloads are dropped after this.
    outbox_retention_days: int = Field(default=90, alias="CHIBOT_OUTBOX_RETENTION_DAYS")
    # `host:port` for /metrics and /healthz when not in webhook mode (off when unset).
    metrics_listen: str | None = Field(default=None, alias="CHIBOT_METRICS_LISTEN")
    # Zalo Bot Platform: `<bot_id>:<secret>`; without it the bot does not use Zalo.
    zalo_bot_token: str | None = Field(default=None, alias="ZALO_BOT_TOKEN")
    zalo_api_url: str = Field(default=ZALO_API_URL, alias="CHIBOT_ZALO_API_URL")
    zalo_webhook_url: str | None = Field(default=None, alias="CHIBOT_ZALO_WEBHOOK_URL")
    zalo_webhook_secret: str | None = Field(default=None, alias="CHIBOT_ZALO_WEBHOOK_SECRET")
    zalo_listen: str = Field(default="127.0.0.1:8444", alias="CHIBOT_ZALO_LISTEN")
    # The free plan's monthly message budget; the operator is warned at 80%.
    zalo_monthly_quota: int = Field(default=3000, alias="CHIBOT_ZALO_MONTHLY_QUOTA")
    zalo_rate_per_second: float = Field(default=5.0, alias="CHIBOT_ZALO_RATE")
    # Zalo takes photos by URL only: images the bot sends there (the digest's chart) are
    # written to this directory, which the operator serves at this URL. Without both, Zalo
    # members get the figures as text and no image.
    public_files_dir: str | None = Field(default=None, alias="CHIBOT_PUBLIC_FILES_DIR")
    public_files_url: str | None = Field(default=None, alias="CHIBOT_PUBLIC_FILES_URL")

    @property
    def photos_by_url(self) -> bool:
        """Tells whether images can reach Zalo (a public directory and its URL are set)."""
        return bool(self.public_files_dir and self.public_files_url)

    @property
    def has_channel(self) -> bool:
        """Tells whether any channel has a token (otherwise `chibot run` starts the sandbox)."""
        return bool(self.telegram_bot_token or self.zalo_bot_token)

    @property
    def bot_api_base(self) -> str:
        """Returns the base URL python-telegram-bot appends `<token>/<method>` to."""
        return f"{self.telegram_api_url.rstrip('/')}/bot"

    @property
    def bot_file_base(self) -> str:
        """Returns the base URL for file downloads."""
        return f"{self.telegram_api_url.rstrip('/')}/file/bot"
