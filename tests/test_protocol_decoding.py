"""The query-string and form decoder (``protocol.parse_pairs``, ada) against ``urllib.parse.parse_qsl``.

``parse_pairs`` replaced ``parse_qsl`` for speed (benchmarks/REPORT-endpoint.md,
"Fourth pass"); it must decode every string as ``parse_qsl(keep_blank_values=True,
errors="strict")`` does, failing where it fails. The strings are built from the
pieces decoders disagree on: separators, ``+``, broken and valid percent escapes,
invalid UTF-8 (overlong, surrogates, cut sequences), a BOM, NUL, controls, raw
non-ASCII text, ``?`` (a URLSearchParams drops a leading one).
"""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scograph.examples import example_queries
from scograph.sparql.protocol import MAX_FIELDS, parse_pairs

PIECES = [
    *"%&=+?;#\t\n\r \x00\x7faZ09fF/",
    "%2", "%41", "%e4", "%B8", "%AD", "%C3", "%A9", "%FF", "%80", "%7F", "%00", "%25", "%2B", "%26", "%3D",
    "%3F", "%zz", "%ED%A0%80", "%C0%80", "%F4%90%80%80", "%E4%B8", "%EF%BB%BF", "%F0%9F%98%80",
    "\ufeff", "\ufffd", "é", "中", "\U0001F600",
]


def reference(text: str):
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return UnicodeDecodeError


def decoded(text: str):
    try:
        return parse_pairs(text)
    except UnicodeDecodeError:
        return UnicodeDecodeError


def test_agrees_with_parse_qsl_on_generated_strings():
    rng = random.Random(20261202)
    texts = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(50_000)]
    differ = [(text, decoded(text), reference(text)) for text in texts if decoded(text) != reference(text)]
    assert differ == [], differ[:5]
    assert sum(reference(text) is UnicodeDecodeError for text in texts) > 1_000  # the failures were tried too


@settings(max_examples=2_000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=20))
def test_agrees_with_parse_qsl_on_any_text(pieces):
    text = "".join(pieces)
    assert decoded(text) == reference(text)


@pytest.mark.parametrize("example", example_queries(), ids=lambda e: e.slug)
def test_every_example_query_decodes_to_itself(example):
    text = f"query={quote(example.query)}&format=json&default-graph-uri=&output"
    assert parse_pairs(text) == [("query", example.query), ("format", "json"), ("default-graph-uri", ""), ("output", "")]


def test_the_cases_where_decoders_differ():
    assert parse_pairs("?query=x") == [("?query", "x")]  # a URLSearchParams would drop the "?"
    assert parse_pairs("q=a%2Bb%3D%26c+d") == [("q", "a+b=&c d")]  # decoded after the split, not before
    assert parse_pairs("q=%zz%4&r=%") == [("q", "%zz%4"), ("r", "%")]  # broken escapes kept as they are
    assert parse_pairs("q=%EF%BB%BFx") == [("q", "\ufeffx")]  # a BOM is text, not stripped
    assert parse_pairs("q=a;b") == [("q", "a;b")]  # only "&" separates
    for invalid in ("q=%FF", "q=%C0%80", "q=%ED%A0%80", "q=%E4%B8", "q=%C3%A9%A9"):
        with pytest.raises(UnicodeDecodeError):
            parse_pairs(invalid)


def test_the_field_limit_is_parse_qsl_s():
    at_limit = "&".join(["a=1"] * MAX_FIELDS)
    assert len(parse_pairs(at_limit)) == MAX_FIELDS
    assert len(parse_qsl(at_limit, max_num_fields=MAX_FIELDS)) == MAX_FIELDS
    with pytest.raises(ValueError, match="Max number of fields"):
        parse_pairs(at_limit + "&a=1")
    with pytest.raises(ValueError, match="Max number of fields"):
        parse_qsl(at_limit + "&a=1", max_num_fields=MAX_FIELDS)


def test_too_many_fields_and_invalid_utf8_are_400_naming_the_problem():
    from scograph.sparql.protocol import ProtocolError, _decode_params

    with pytest.raises(ProtocolError) as caught:
        _decode_params(("a=1&" * MAX_FIELDS).encode(), "query string")
    assert caught.value.status == 400 and "query string" in caught.value.message
    with pytest.raises(ProtocolError) as caught:
        _decode_params(b"query=%FF", "request body")
    assert caught.value.status == 400 and "UTF-8" in caught.value.message and "request body" in caught.value.message
