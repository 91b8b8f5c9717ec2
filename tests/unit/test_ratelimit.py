import pytest

from bot.ratelimit import RateLimiter, TokenBucket

STEP = 0.001  # simulated clock resolution (seconds)
START = 1000.0  # monotonic clocks do not start at zero


def greedy_sends(
    limiter: RateLimiter, chat: str, is_group: bool, seconds: float, step: float = STEP
) -> list[float]:
    """Sends to one chat whenever the limiter allows, for `seconds`; returns the send times."""
    times = []
    for tick in range(int(seconds / step)):
        now = START + tick * step
        if limiter.overall_wait(now) == 0 and limiter.chat_wait(chat, is_group, now) == 0:
            limiter.take(chat, is_group, now)
            times.append(now)
    return times


def most_in_any_window(times: list[float], window: float) -> int:
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window - 1e-9:
            first += 1
        best = max(best, last - first + 1)
    return best


# --- TokenBucket --------------------------------------------------------------------------------


def test_bucket_starts_full_and_empties() -> None:
    bucket = TokenBucket(capacity=2, rate=1.0)
    assert bucket.wait(START) == 0
    bucket.take(START)
    assert bucket.wait(START) == 0
    bucket.take(START)
    assert bucket.wait(START) == pytest.approx(1.0)
    assert bucket.wait(START + 0.25) == pytest.approx(0.75)
    assert bucket.wait(START + 1.0) == 0


def test_bucket_refills_at_its_rate_up_to_capacity() -> None:
    bucket = TokenBucket(capacity=3, rate=0.5)
    for _ in range(3):
        bucket.take(START)
    assert not bucket.full(START)
    assert bucket.wait(START) == pytest.approx(2.0)
    assert not bucket.full(START + 5.9)
    assert bucket.full(START + 6.0)
    # Long idleness does not bank more than `capacity` tokens.
    assert bucket.full(START + 1000)
    for _ in range(3):
        assert bucket.wait(START + 1000) == 0
        bucket.take(START + 1000)
    assert bucket.wait(START + 1000) > 0


def test_bucket_ignores_time_going_backwards() -> None:
    bucket = TokenBucket(capacity=1, rate=1.0)
    bucket.take(START)
    assert bucket.wait(START - 5) == pytest.approx(1.0)
    assert bucket.wait(START + 1) == 0


# --- RateLimiter --------------------------------------------------------------------------------


def test_global_pacing_at_n_per_second() -> None:
    limiter = RateLimiter(global_per_second=30)
    sent = 0
    for tick in range(int(10 / STEP)):
        now = START + tick * STEP
        if limiter.overall_wait(now) == 0:
            limiter.take(f"chat-{sent}", False, now)  # every send to a fresh chat
            sent += 1
    assert 10 * 30 - 1 <= sent <= 10 * 30 + 3


def test_global_wait_after_a_burst() -> None:
    limiter = RateLimiter(global_per_second=10)
    sent = 0
    while limiter.overall_wait(START) == 0:
        limiter.take(f"c{sent}", False, START)
        sent += 1
    assert sent >= 1
    assert limiter.overall_wait(START) == pytest.approx(0.1)
    assert limiter.overall_wait(START + 0.1) == 0


def test_private_chat_long_run_rate() -> None:
    times = greedy_sends(RateLimiter(private_per_second=1), "42", False, 20)
    assert 20 <= len(times) <= 22
    assert times[-1] - times[-2] == pytest.approx(1.0)


def test_private_chat_allows_a_reply_right_after_a_message_then_one_a_second() -> None:
    limiter = RateLimiter(private_per_second=1)
    limiter.take("42", False, START)
    assert limiter.chat_wait("42", False, START) == 0
    limiter.take("42", False, START)
    assert limiter.chat_wait("42", False, START) > 0
    assert limiter.chat_wait("42", False, START + 0.5) > 0
    assert limiter.chat_wait("42", False, START + 1.0) == 0


def test_group_long_run_rate_per_minute() -> None:
    times = greedy_sends(RateLimiter(group_per_minute=20), "-100", True, 600, step=0.01)
    assert len(times) <= 10 * 20 + 5
    assert len(times) >= 10 * 20 - 1
    assert times[-1] - times[-2] == pytest.approx(3.0, abs=0.02)


def test_group_never_exceeds_its_per_minute_rate() -> None:
    times = greedy_sends(RateLimiter(group_per_minute=20), "-100", True, 180, step=0.01)
    assert most_in_any_window(times, 60.0) <= 20


def test_private_and_group_chats_are_independent() -> None:
    limiter = RateLimiter()
    while limiter.chat_wait("-100", True, START) == 0:
        limiter.take("-100", True, START)
    assert limiter.chat_wait("-100", True, START) > 0
    assert limiter.chat_wait("7", False, START) == 0
    assert limiter.chat_wait("-200", True, START) == 0


def test_pause_chat_and_busy_chats() -> None:
    limiter = RateLimiter()
    limiter.pause_chat("7", 30, START)
    assert limiter.chat_wait("7", False, START) == pytest.approx(30)
    assert limiter.chat_wait("7", False, START + 29) == pytest.approx(1)
    assert "7" in limiter.busy_chats(START + 10)
    assert limiter.chat_wait("8", False, START) == 0
    assert "7" not in limiter.busy_chats(START + 30.5)
    assert limiter.chat_wait("7", False, START + 30.5) == 0


def test_busy_chats_lists_chats_without_tokens() -> None:
    limiter = RateLimiter(global_per_second=1000)
    while limiter.chat_wait("9", False, START) == 0:
        limiter.take("9", False, START)
    limiter.take("10", False, START)
    busy = limiter.busy_chats(START)
    assert "9" in busy
    assert "11" not in busy
    assert "9" not in limiter.busy_chats(START + 10)


def test_idle_chats_are_forgotten() -> None:
    limiter = RateLimiter(global_per_second=1000)
    peak = 0
    for n in range(20_000):
        now = START + n * 0.01  # 100 new chats per second for 200 seconds
        chat = f"-{n}" if n % 2 else str(n)
        limiter.take(chat, n % 2 == 1, now)
        if n % 7 == 0:
            limiter.pause_chat(chat, 1, now)
        if n % 50 == 0:
            limiter.busy_chats(now)
        peak = max(peak, len(limiter.chats) + len(limiter.paused_until))
    # Groups refill in 15 s and private chats in 2 s; nothing older than that stays.
    assert peak < 100 * (15 + 5 + 1) + 300
    limiter.busy_chats(START + 10_000)
    assert limiter.chats == {}
    assert limiter.paused_until == {}
