"""The partitioners must place every key exactly where aiokafka's (and the Java
client's) default partitioner does, with the Python murmur2 and with the compiled one
(``native/``): consumers partitioned by item rely on it."""

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from govmon.adapters.publisher import (
    CachedPartitioner,
    KeyPartitioner,
    default_partition,
    key_hash,
    murmur2,
)

try:
    from govmon_scan import murmur2 as compiled
except ImportError:  # NATIVE=0
    compiled = None
AVAILABLE = [murmur2] if compiled is None else [murmur2, compiled]
HASHES = pytest.mark.parametrize("hash_key", AVAILABLE, ids=["python", "compiled"][:len(AVAILABLE)])


@HASHES
@given(keys=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=50),
       partitions=st.integers(min_value=1, max_value=24))
def test_same_partition_as_aiokafka(hash_key: object, keys: list[bytes],
                                    partitions: int) -> None:
    cached = CachedPartitioner(capacity=8, hash_key=hash_key)  # type: ignore[arg-type]
    plain, default = KeyPartitioner(hash_key), DefaultPartitioner()  # type: ignore[arg-type]
    every = list(range(partitions))
    for key in keys + keys:  # the second pass comes from the cache (or a cleared one)
        assert cached(key, every, every) == plain(key, every, every) \
            == default(key, every, every)


@pytest.mark.skipif(compiled is None, reason="built without NATIVE=1")
def test_the_compiled_hash_is_used_when_installed() -> None:
    assert key_hash() is compiled
    assert KeyPartitioner().hash_key is CachedPartitioner().hash_key is compiled


def test_partition_count_change_is_not_served_from_the_cache() -> None:
    cached = CachedPartitioner()
    first = cached(b"unit-7", list(range(3)), list(range(3)))
    assert first == DefaultPartitioner()(b"unit-7", list(range(3)), list(range(3)))
    assert cached(b"unit-7", list(range(12)), list(range(12))) == DefaultPartitioner()(
        b"unit-7", list(range(12)), list(range(12)))


def test_no_key_goes_to_an_available_partition() -> None:
    assert CachedPartitioner()(None, [0, 1, 2], [2]) == 2


# Computed with the Java client, kafka-clients 4.4.0: Utils.murmur2(key) (a signed int)
# and the partition its default partitioner picks of 1000, so keyed records land where
# a Java producer would put them.
@pytest.mark.parametrize(("key", "java", "partition"), [
    (b"", 275646681, 681), (b"a", -1563381124, 524), (b"ab", 316155434, 434),
    (b"abc", 479470107, 107), (b"123456789", -1822237082, 566), (b"21", -973932308, 340),
    (b"unit-7", -1674067050, 598),
    (b"https://gov.yueyang.example/units/U-0001\x00evt-000123456", -1190894935, 713)])
def test_murmur2_as_the_java_client(key: bytes, java: int, partition: int) -> None:
    for hash_key in AVAILABLE:
        assert hash_key(key) - (1 << 32 if hash_key(key) >= 1 << 31 else 0) == java
    every = list(range(1000))
    assert CachedPartitioner()(key, every, every) == default_partition(key, every, every) \
        == KeyPartitioner()(key, every, every) == partition


@given(st.binary(max_size=300))
def test_murmur2_equals_aiokafkas(key: bytes) -> None:
    assert {hash_key(key) for hash_key in AVAILABLE} == {aiokafka_murmur2(key)}
