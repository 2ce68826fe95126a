"""Properties of the demo's small vectorised helpers."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnledger.core.xapi.timestamps import duration_seconds
from learnledger.demo.timeline import iso_ms, stream, uuid4_strings
from learnledger.demo.xapi_vocab import iso_duration


@given(st.integers(min_value=0, max_value=400 * 3_600_000))
def test_iso_duration_round_trips_to_the_hundredth(ms):
    assert duration_seconds(iso_duration(ms)) == pytest.approx((ms // 10) / 100, abs=1e-6)


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=50))
def test_uuid4_strings_are_canonical_version_4_and_seeded(seed, n):
    ids = uuid4_strings(stream(seed, 1), n)
    assert ids == uuid4_strings(stream(seed, 1), n)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4


def test_iso_ms_formats_rfc3339_utc_with_milliseconds():
    assert iso_ms(np.array([0, 1_700_000_000_123], dtype=np.int64)) == [
        "1970-01-01T00:00:00.000Z",
        "2023-11-14T22:13:20.123Z",
    ]
