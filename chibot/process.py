"""How the processes of one deployment share the work: leases, claims, polling, threads."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProcessSettings(BaseSettings):
    """How the processes of one deployment share the work (environment and `.env`; every
    value has a default that suits production; tests shorten the timings)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # The leader renews its lease this often, and a lease not renewed for this long expires.
    leader_renew_seconds: float = Field(default=2.0, gt=0, alias="CHIBOT_LEADER_RENEW_SECONDS")
    leader_expire_seconds: float = Field(default=10.0, gt=0, alias="CHIBOT_LEADER_EXPIRE_SECONDS")
    # A claimed outbox row is this process's for this long, renewed with the lease while its
    # send is in flight; a dead process's claims expire after it and are sent again.
    claim_lease_seconds: float = Field(default=15.0, gt=0, alias="CHIBOT_CLAIM_LEASE_SECONDS")
    # The leader looks for rows other processes queued this often when it has nothing to do.
    outbox_poll_seconds: float = Field(default=0.5, gt=0, alias="CHIBOT_OUTBOX_POLL_SECONDS")
    # Worker threads for database work (turns, claims, the tick).
    db_threads: int = Field(default=8, ge=1, alias="CHIBOT_DB_THREADS")
    # Incoming updates of different people handled at once, per channel (one person's, and
    # one chat's, always one after another). Enough to overlap their network waits; more only
    # adds connections for the HTTP client to scan, while the database takes writes in turn.
    concurrent_updates: int = Field(default=16, ge=1, alias="CHIBOT_CONCURRENT_UPDATES")
    # At start, a Bot API that does not answer (down, 5xx, no network) is tried again after
    # this long, doubling up to the maximum, until it answers; a refused token stops at once.
    connect_retry_seconds: float = Field(default=1.0, gt=0, alias="CHIBOT_CONNECT_RETRY_SECONDS")
    connect_retry_max_seconds: float = Field(
        default=60.0, gt=0, alias="CHIBOT_CONNECT_RETRY_MAX_SECONDS"
    )

    @model_validator(mode="after")
    def _renew_before_expiry(self) -> ProcessSettings:
        if self.leader_renew_seconds * 2 > self.leader_expire_seconds:
            raise ValueError(
                "CHIBOT_LEADER_EXPIRE_SECONDS must be at least twice CHIBOT_LEADER_RENEW_SECONDS"
            )
        return self
