"""The hot cache behaves the same in process and on Redis."""

from __future__ import annotations

import pytest

from omc.cache import InProcessCache, RedisCache, open_cache, redis_client
from omc.errors import ServiceUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request):
    if request.param == "memory":
        yield InProcessCache()
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    client = redis_client(url)
    yield RedisCache(client, prefix=prefix)
    client.close()


def test_set_get_round_trips_json(cache):
    cache.set("price:BTC", {"last": "105000.5", "bid": 104990, "ask": 105010})
    assert cache.get("price:BTC") == {"last": "105000.5", "bid": 104990, "ask": 105010}
    assert cache.get("price:ETH") is None


def test_get_many_returns_only_present_keys(cache):
    cache.set("price:BTC", 1)
    cache.set("price:ETH", 2)
    assert cache.get_many(["price:BTC", "price:ETH", "price:XRP"]) == {
        "price:BTC": 1,
        "price:ETH": 2,
    }
    assert cache.keys("price:*") == ["price:BTC", "price:ETH"]


def test_delete_removes_a_key(cache):
    cache.set("k", "v")
    cache.delete("k")
    assert cache.get("k") is None


def test_in_process_entries_expire_after_their_ttl():
    clock = FakeClock()
    cache = InProcessCache(clock=clock)
    cache.set("k", "v", ttl_seconds=5)
    clock.now += 4.9
    assert cache.get("k") == "v"
    clock.now += 0.2
    assert cache.get("k") is None


@pytest.mark.redis
def test_redis_entries_carry_a_ttl(redis_url, redis_prefix):
    client = redis_client(redis_url)
    RedisCache(client, prefix=redis_prefix).set("k", "v", ttl_seconds=30)
    assert 0 < client.pttl(redis_prefix + "k") <= 30_000
    client.close()


def test_open_cache_without_url_is_in_process():
    assert isinstance(open_cache(None), InProcessCache)


def test_open_cache_with_unreachable_redis_is_a_clear_error():
    with pytest.raises(
        ServiceUnavailable, match=r"cannot reach Redis at redis://:\*\*\*@127.0.0.1:1/0"
    ):
        open_cache("redis://:canary@127.0.0.1:1/0")
