"""The Redis cache, failing soft: when Redis is down a read misses and a write is dropped
(with a warning in the log) instead of breaking the page or the API request. Only the API's
rate limits and the report cache live in the cache, so while Redis is away the reports are
computed every time and token clients are not rate-limited.

Connections give up quickly (``socket_connect_timeout``/``socket_timeout``, no retries), and
after a failure the cache is skipped for ``RETRY_AFTER`` seconds, so a request does not wait
on a Redis that does not answer. Settings swap Django's ``RedisCache`` for this one when
``CACHE_URL`` is a redis:// URL."""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0


def _soft(default):
    def wrap(method):
        @functools.wraps(method)
        def soft(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return default(args, kwargs)
            try:
                return method(self, *args, **kwargs)
            except self._redis_errors as error:
                self._down_until = time.monotonic() + RETRY_AFTER
                logger.warning("Cache unavailable, going on without it: %s", error)
                return default(args, kwargs)

        return soft

    return wrap


def _nothing(args, kwargs):
    return None


def _false(args, kwargs):
    return False


def _default(args, kwargs):
    # get(key, default=None)
    return args[1] if len(args) > 1 else kwargs.get("default")


def _no_keys(args, kwargs):
    return {}


def _not_stored(args, kwargs):
    # set_many returns the keys that failed: all of them.
    data = args[0] if args else kwargs.get("data", {})
    return list(data)


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        options.setdefault("retry", None)
        super().__init__(server, params)
        import redis

        self._redis_errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._down_until = 0.0

    get = _soft(_default)(RedisCache.get)
    get_many = _soft(_no_keys)(RedisCache.get_many)
    has_key = _soft(_false)(RedisCache.has_key)
    add = _soft(_false)(RedisCache.add)
    set = _soft(_nothing)(RedisCache.set)
    set_many = _soft(_not_stored)(RedisCache.set_many)
    touch = _soft(_false)(RedisCache.touch)
    delete = _soft(_false)(RedisCache.delete)
    delete_many = _soft(_nothing)(RedisCache.delete_many)
    clear = _soft(_false)(RedisCache.clear)
