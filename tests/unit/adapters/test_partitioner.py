"""The cached partitioner must place every key exactly where aiokafka's (and the Java
client's) default partitioner does: consumers partitioned by item rely on it."""

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from govmon.adapters.publisher import CachedPartitioner


@given(keys=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=50),
       partitions=st.integers(min_value=1, max_value=24))
def test_same_partition_as_aiokafka(keys: list[bytes], partitions: int) -> None:
    cached, default = CachedPartitioner(capacity=8), DefaultPartitioner()
    every = list(range(partitions))
    for key in keys + keys:  # the second pass comes from the cache (or a cleared one)
        assert cached(key, every, every) == default(key, every, every)


def test_partition_count_change_is_not_served_from_the_cache() -> None:
    cached = CachedPartitioner()
    first = cached(b"unit-7", list(range(3)), list(range(3)))
    assert first == DefaultPartitioner()(b"unit-7", list(range(3)), list(range(3)))
    assert cached(b"unit-7", list(range(12)), list(range(12))) == DefaultPartitioner()(
        b"unit-7", list(range(12)), list(range(12)))


def test_no_key_goes_to_an_available_partition() -> None:
    assert CachedPartitioner()(None, [0, 1, 2], [2]) == 2
