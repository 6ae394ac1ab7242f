"""The guard and the engine agree: no query the engine would send anywhere passes the guard.

Generated queries (keywords glued to prefixed names, case, whitespace and
comments between tokens, strings and comments that mention SERVICE, nesting,
SERVICE SILENT, variables as targets, PREFIX / BASE tricks, unicode names) go
through the guard and, whatever its verdict, through the real pyoxigraph engine
in this process, with no network isolation, against a listener on 127.0.0.1:

- every query the guard allows must make zero connections to the listener;
- every query the guard allows must read no graph outside the allowed ones: a
  graph named under the listener's address holds a marker triple that shows up
  in the results only if the engine's dataset (FROM / FROM NAMED) includes it;
- every query :func:`~scograph.sparql.guard.screen` clears (sent to the engine
  unread) must connect nowhere and read no forbidden graph either, and if the
  guard would refuse it, the engine must refuse it too (the store then answers
  with the guard's words): the screen may never let through what the guard stops.

A fixed set of known-bad queries first shows the oracle has teeth: each of them
really makes the engine connect (or read the forbidden graph), and is refused.
"""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st

from scograph.sparql.guard import MAX_CHAIN, MAX_NESTING, check_query, screen
from scograph.store.base import QueryError, QueryRefused
from tests.listeners import Listener

ALLOWED = "http://e.example/graph/allowed"
MARKER = "forbidden-graph-was-read"


@pytest.fixture(scope="module")
def listener():
    lst = Listener(backlog=64)
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def engine(listener):
    """An in-memory store: one allowed graph, and a forbidden one named under the listener."""
    store = ox.Store()
    s, p = ox.NamedNode("http://e.example/s"), ox.NamedNode("http://e.example/p")
    store.add(ox.Quad(s, p, ox.Literal("allowed"), ox.NamedNode(ALLOWED)))
    store.add(ox.Quad(s, p, ox.Literal(MARKER), ox.NamedNode(forbidden_graph(listener))))
    store.add(ox.Quad(s, p, ox.Literal("default")))
    return store


def forbidden_graph(listener: Listener) -> str:
    return f"http://127.0.0.1:{listener.port}/g"


def run_engine(store: ox.Store, query: str) -> bytes:
    """Run ``query`` to the end; return what it answered (empty when the engine refused it)."""
    try:
        result = store.query(query)
        if isinstance(result, ox.QueryBoolean):
            return str(bool(result)).encode()
        if isinstance(result, ox.QuerySolutions):
            return result.serialize(format=ox.QueryResultsFormat.TSV) or b""
        return ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
    except (SyntaxError, OSError, RuntimeError, ValueError):  # the engine refused or the service failed
        return b""


def verdict(query: str) -> str:
    try:
        check_query(query, frozenset({ALLOWED}))
    except QueryRefused:
        return "refused"
    except QueryError:
        return "error"
    return "allowed"


def assert_agrees(store: ox.Store, listener: Listener, query: str) -> tuple[str, int, bool]:
    guard = verdict(query)
    before = listener.connections
    answer = run_engine(store, query)
    connected = listener.connections - before
    read_forbidden = MARKER.encode() in answer
    if currently_in_test_context():
        event(f"guard {guard}, engine {'connected' if connected else 'read forbidden graph' if read_forbidden else 'stayed home'}")
    if guard == "allowed":
        assert connected == 0, f"the guard allowed a query that made the engine connect: {query!r}"
        assert not read_forbidden, f"the guard allowed a query that read a forbidden graph: {query!r}"
    if screen(query):
        assert connected == 0, f"the screen cleared a query that made the engine connect: {query!r}"
        assert not read_forbidden, f"the screen cleared a query that read a forbidden graph: {query!r}"
        # What the guard refuses (403: SERVICE, FROM, Update, another graph) the engine must refuse
        # too. A query the guard only finds unclear (400: an IRI the engine may read as "<" and a
        # comment) may run: with no SERVICE or FROM outside comment lines there is nothing to hide.
        if guard == "refused":
            assert engine_refuses(store, query), f"the screen cleared a query the guard stops and the engine runs: {query!r}"
    return guard, connected, read_forbidden


def engine_refuses(store: ox.Store, query: str) -> bool:
    """Whether the engine's parser refuses ``query`` (the store then asks the guard why)."""
    try:
        store.query(query)
    except SyntaxError:
        return True
    return False


def prologue(port: int) -> str:
    here = f"http://127.0.0.1:{port}/"
    return (
        f"PREFIX : <{here}> PREFIX ex: <{here}> PREFIXgl:<{here}> PREFIX é·: <{here}> "
        f"PREFIX SILENT: <{here}> PREFIX NAMEDex: <{here}> PREFIX e: <http://e.example/graph/> "
    )


# -- the oracle has teeth ----------------------------------------------------------------------

CONNECTING = [
    "SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICEex:x { ?s ?p ?o } }",
    "SELECT * WHERE { serviceex:x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICESILENT:x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENTex:x { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p trueSERVICE:x { } }",
    "SELECT * WHERE { ?s ?p 1e5SERVICE:x { } }",
    "SELECT * WHERE { ?s ?p ex:a.b.SERVICE:x { } }",  # the engine's local names take one run of dots
    "SELECT * WHERE { ?s ?p ?o .SERVICE:x { } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(true)SERVICE:x { } }",
    "SELECT * WHERE {SERVICE#c\n:x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE ex:\\~x {} }",
    "SELECT (EXISTS{SERVICE:x{}} AS ?e) WHERE { }",
    "SELECT * WHERE { SERVICEé·:x { } }",
    # The guard lexes "<?p)SERVICE:x#>" as an IRI; after a value inside ( ) the engine reads
    # "<" as less-than, then SERVICE :x, then a comment that hides the '>'.
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<?p)SERVICE:x#>\n{} }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<1)SERVICE:x#a#b>\n{} }",
]
READING_FORBIDDEN = [
    "SELECT * FROM:g WHERE { ?s ?p ?o }",
    "SELECT * FROMex:g WHERE { ?s ?p ?o }",
    "SELECT * FROM <http://e.example/graph/allowed> FROMNAMED:g WHERE { GRAPH ?g { ?s ?p ?o } }",
    # NAMEDex: is declared too, so the engine reads a default graph NAMEDex:g here
    "SELECT * FROM <http://e.example/graph/allowed> FROM NAMEDex:g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
    "SELECT * FROM <http://e.example/graph/allowed> FROMNAMEDgl:g WHERE { GRAPH ?g { ?s ?p ?o } }",
    "PREFIX e: <http://127.0.0.1:{port}/> SELECT * FROM e:g WHERE { ?s ?p ?o }",
    "PREFIXe:<http://127.0.0.1:{port}/> SELECT * FROM e:g WHERE { ?s ?p ?o }",
    "BASE <http://127.0.0.1:{port}/> SELECT * FROM <g> WHERE { ?s ?p ?o }",
    "BASE<http://127.0.0.1:{port}/x/> SELECT * FROM <../g> WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("body", CONNECTING)
def test_queries_that_make_the_engine_connect_are_refused(engine, listener, body):
    guard, connected, _ = assert_agrees(engine, listener, prologue(listener.port) + body)
    assert connected > 0, "the engine did not connect: this payload no longer tests anything"
    assert guard != "allowed"  # 403, or 400 for an IRI the engine may read as "<" (see the guard)


@pytest.mark.parametrize("body", READING_FORBIDDEN)
def test_queries_that_make_the_engine_read_another_graph_are_refused(engine, listener, body):
    query = prologue(listener.port) + body.replace("{port}", str(listener.port))
    guard, _, read_forbidden = assert_agrees(engine, listener, query)
    assert read_forbidden, "the engine did not read the forbidden graph: this payload no longer tests anything"
    assert guard == "refused"


def test_what_the_guard_allows_still_runs(engine, listener):
    for query in [
        "PREFIX e: <http://e.example/graph/> SELECT * FROMe:allowed WHERE { ?s ?p ?o }",
        "SELECT ?service WHERE { ?s <http://e.example/service> ?service }",
        'SELECT * WHERE { BIND("SERVICE <x> {}" AS ?x) } # SERVICE',
        "PREFIX ex: <http://e.example/> SELECT * WHERE { ?s ex:service ?o ; ex:my-SERVICE ?x }",
    ]:
        assert assert_agrees(engine, listener, query)[0] == "allowed", query


# -- generated queries ---------------------------------------------------------------------------


def _case(keyword: str) -> st.SearchStrategy[str]:
    return st.sampled_from([keyword, keyword.lower(), keyword.title(), "".join(
        c.lower() if i % 2 else c for i, c in enumerate(keyword))])


SEPARATORS = st.sampled_from(["", "", " ", "\n", "\t", "\r\n", "#c\n", " # SERVICE <x> {}\n ", "  "])
TARGETS = st.sampled_from([
    ":x", ":", "ex:x", "ex:", "gl:x", "é·:x", "ex:a.b", "ex:\\~x", "ex:a%41", "ex:x.", "?svc", "$svc",
    "<http://127.0.0.1:{port}/x>", "<x>", "<\\u0068ttp://127.0.0.1:{port}/>", "ex:ex:x", "SILENT:x",
])
BEFORE = st.sampled_from([
    "", " ", "true", "false", "1e5", "1.5E-3", ".", "ex:a.b.", "ex:a.", "?o ", "?o.", "\"x\"", "'x'",
    "<http://e.example/o>", "\"x\"@en", "\"x\"^^ex:t", "_:b", "_:b.", "1", "-1", "a", "(1)",
])
DECOYS = st.sampled_from([
    "", "BIND(\"SERVICE:x {}\" AS ?d)", "# SERVICE:x {}\n", "?s <http://e.example/SERVICE> ?o .",
    "?s ex:SERVICE ?o .", "FILTER(?o != \"\"\"SERVICE\"\"\")", "VALUES ?v { UNDEF }",
])


@st.composite
def service_fragments(draw) -> str:
    keyword = draw(_case("SERVICE"))
    silent = draw(st.sampled_from(["", "", " SILENT", "SILENT", " silent", "Silent"]))
    target = draw(TARGETS)
    group = draw(st.sampled_from(["{}", "{ ?s ?p ?o }", " { }", "{ SELECT * {} }"]))
    return keyword + silent + draw(SEPARATORS) + target + draw(SEPARATORS) + group


@st.composite
def service_queries(draw) -> str:
    fragment = draw(BEFORE) + draw(SEPARATORS) + draw(service_fragments())
    decoy = draw(DECOYS)
    context = draw(st.sampled_from([
        "SELECT * WHERE { {d} {f} }",
        "SELECT * WHERE { ?s ?p {f} }",
        "SELECT * WHERE { {d} ?s ?p ?o {f} }",
        "SELECT * WHERE { ?s ?p ?o . {f} {d} }",
        "SELECT * WHERE { VALUES ?svc { <http://127.0.0.1:{port}/v> } {f} }",
        "SELECT * WHERE { BIND(<http://127.0.0.1:{port}/b> AS ?svc) {f} }",
        "SELECT * WHERE { OPTIONAL { {f} } }",
        "SELECT * WHERE { { {f} } UNION { {d} } }",
        "SELECT * WHERE { { SELECT * WHERE { {f} } } }",
        "SELECT (EXISTS { {f} } AS ?e) WHERE { {d} }",
        "ASK { {f} }",
        "CONSTRUCT { ?s ?p ?o } WHERE { {f} }",
        "DESCRIBE ?s WHERE { {f} }",
        "SELECT * WHERE { MINUS { {f} } ?s ?p ?o }",
        "SELECT * WHERE { GRAPH ?g { {f} } }",
        "SELECT*{{f}}",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<?p)\n{f} }",
    ]))
    base = draw(st.sampled_from(["", "BASE <http://127.0.0.1:{port}/> ", "BASE<http://127.0.0.1:{port}/>", "base <x/> "]))
    return base + "{prologue}" + context.replace("{f}", fragment).replace("{d}", decoy)


@st.composite
def dataset_queries(draw) -> str:
    from_keyword = draw(_case("FROM"))
    named = draw(st.sampled_from(["", "", " NAMED", "NAMED", " named", "Named"]))
    graph = draw(st.sampled_from([
        ":g", "ex:g", "gl:g", "é·:g", "e:allowed", "<http://127.0.0.1:{port}/g>", "<g>", "<../g>", "<./g>",
        "ex:", "NAMEDex:g", "ex:g.", "<http://e.example/graph/allowed>", "<\\u0068ttp://127.0.0.1:{port}/g>",
    ]))
    clause = from_keyword + named + draw(SEPARATORS) + graph
    extra = draw(st.sampled_from(["", " FROM <http://e.example/graph/allowed>", " FROM e:allowed"]))
    form = draw(st.sampled_from(["SELECT *", "SELECT ?o", "ASK", "CONSTRUCT { ?s ?p ?o }", "SELECT*", "SELECTDISTINCT ?o"]))
    base = draw(st.sampled_from(["", "BASE <http://127.0.0.1:{port}/> ", "BASE<http://127.0.0.1:{port}/x/>", "BASE <http://e.example/graph/> "]))
    redeclare = draw(st.sampled_from(["", "PREFIX e: <http://127.0.0.1:{port}/> ", "PREFIXe:<http://127.0.0.1:{port}/>"]))
    body = "WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    first, second = (extra, " " + clause) if draw(st.booleans()) else (" " + clause, extra)
    return base + "{prologue}" + redeclare + form + first + second + draw(SEPARATORS) + " " + body


#: SCOGRAPH_FUZZ_SCALE=10 runs ten times as many examples (a longer hunt; CI runs the default).
SCALE = int(os.environ.get("SCOGRAPH_FUZZ_SCALE", "1"))
GENERATED = settings(
    max_examples=1500 * SCALE,
    deadline=None,  # the machine may be busy; the bound is max_examples and the per-test timeout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,  # no .hypothesis directory in the repository
)


def _fill(template: str, port: int) -> str:
    return template.replace("{prologue}", prologue(port)).replace("{port}", str(port))


@pytest.mark.timeout(600)
@GENERATED
@given(template=service_queries())
def test_no_generated_query_that_connects_passes_the_guard(engine, listener, template):
    assert_agrees(engine, listener, _fill(template, listener.port))


@st.composite
def hidden_in_iri_queries(draw) -> str:
    """A SERVICE call the guard could take for the inside of an IRI: <...SERVICE:x#> then {}."""
    operand = draw(st.sampled_from(["?o", "?p", "1", '"a"', "<http://e.example/o>", "ex:o", "(?o)", "true"]))
    before = draw(st.sampled_from(["?p)", "1)", "?p&&true)", "?p||false)", "?p))", "?p)."]))
    keyword = draw(_case("SERVICE")) + draw(st.sampled_from(["", "SILENT", "silent"]))
    target = draw(st.sampled_from([":x", "ex:x", "gl:x", "?svc"]))
    tail = draw(st.sampled_from(["#>", "#a#b>", "#%>", "#'>", "#'''>"]))
    group = draw(st.sampled_from(["\n{}", "\n{ ?s ?p ?o }", "\n {}\n"]))
    depth = draw(st.integers(min_value=0, max_value=2))
    return (
        "{prologue}SELECT * WHERE { ?s ?p ?o BIND(<http://127.0.0.1:{port}/v> AS ?svc) FILTER("
        + "(" * depth + operand + "<" + before + ")" * depth + keyword + target + tail + group + " }"
    )


@pytest.mark.timeout(600)
@settings(GENERATED, max_examples=500 * SCALE)
@given(template=hidden_in_iri_queries())
def test_no_service_hidden_in_what_looks_like_an_iri_passes_the_guard(engine, listener, template):
    assert_agrees(engine, listener, _fill(template, listener.port))


@pytest.mark.timeout(600)
@settings(GENERATED, max_examples=1000 * SCALE)
@given(template=dataset_queries())
def test_no_generated_query_that_reads_another_graph_passes_the_guard(engine, listener, template):
    assert_agrees(engine, listener, _fill(template, listener.port))


CHUNKS = [
    "SERVICE", "service", "SILENT", "FROM", "NAMED", "PREFIX", "BASE", "SELECT", "*", "WHERE", "{", "}",
    "(", ")", ".", ";", ",", ":", "ex:", ":x", "ex:x", "ex:a.b.", "?s", "?svc", "true", "1e5", "a", "_:b", "<", ">", "#>\n", "<?s)",
    "<http://127.0.0.1:{port}/r>", "<x>", "\"s\"", "'''SERVICE'''", "#SERVICE\n", "\n", " ", "e:allowed",
    "OPTIONAL", "UNION", "FILTER", "EXISTS", "GRAPH", "VALUES", "BIND", "AS", "\\", "%41", "@en", "^^",
]


@pytest.mark.timeout(600)
@settings(GENERATED, max_examples=1500 * SCALE)
@given(chunks=st.lists(st.sampled_from(CHUNKS), min_size=3, max_size=24))
def test_no_token_soup_that_connects_passes_the_guard(engine, listener, chunks):
    """Unstructured mixtures: mostly syntax errors, which is what finds lexer disagreements."""
    assert_agrees(engine, listener, prologue(listener.port) + _fill("SELECT * WHERE { " + "".join(chunks) + " }", listener.port))


# -- the screen ---------------------------------------------------------------------------------

#: Pieces of queries without SERVICE or FROM (which the screen never clears), with what
#: the guard reads past them: brackets, operators and chaining words towards the bounds,
#: Update keywords, language tags, strings and comments that hide things, odd angles.
SCREEN_CHUNKS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "*", "WHERE", "{", "}", "{{{{", "}}}}", "(", ")", "((((", "))))",
    "[", "]", "<<", ">>", "<", ">", ".", ";", ",", "?s", "?p", "?o", "ex:x", ":x", "a", "true", "1", "1e5",
    "<http://e.example/o>", '"s"', "'''x'''", "#c\n", "\n", " ", '"x"@data', "@with", "@en", "^^",
    "OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "AS", "VALUES", "GRAPH", "EXISTS", "+", "-", "*", "/",
    "|", "^", "=", "!", "&&", "||", "INSERT", "DELETE", "DATA", "DROP", "CLEAR", "LOAD", "ADD", "WITH",
    "USING", "CREATE", "COPY", "MOVE", "PREFIX", "BASE", '"', "'", "\\", "%41", "<?s)",
]


@pytest.mark.timeout(600)
@settings(GENERATED, max_examples=1500 * SCALE)
@given(chunks=st.lists(st.sampled_from(SCREEN_CHUNKS), min_size=1, max_size=40), repeat=st.integers(1, 60))
def test_no_query_the_screen_clears_holds_what_the_guard_stops(engine, listener, chunks, repeat):
    """Token soups, some repeated far past the bounds: whatever the screen clears the guard
    allows, or the engine refuses too (and then the store answers with the guard's words)."""
    body = "".join(chunks)
    query = prologue(listener.port) + "SELECT * WHERE { " + body * (repeat if len(body) * repeat < 20_000 else 1) + " }"
    guard, _, _ = assert_agrees(engine, listener, query)
    if currently_in_test_context():
        event(f"screen {'clears' if screen(query) else 'reads'}, guard {guard}")


#: Lines around a SERVICE or FROM that may or may not be comments: how a line starts, what is
#: in it (long strings that carry a line break, IRIs and strings that hold a "#", an IRI the
#: engine reads as "<"), and what ends it, for the engine's comments (CR, LF) or not (NEL,
#: LINE SEPARATOR, form feed, vertical tab).
LINE_STARTS = ["", "", "#", "# ", " #", "\t#", "\x0c#", "\x85#", "\u2028#"]
LINE_CHUNKS = [  # mostly whole patterns, so that many queries run and a live SERVICE connects
    "SERVICE:x {}", "SERVICE <http://127.0.0.1:{port}/x> {}", "sErViCe:x{}", "SERVICE:x {} ", "?s ?p ?o .",
    "FILTER(true)", "BIND(1 AS ?x)", '?s ?p """', "?s ?p '''", "", " ", "from", "FROM:g", "#", '"""', "'''", '"#"', "'#'",
    "<http://e.example/#>", "<#", ">", "\"", "FILTER(?o<?p)", "#>",
]
LINE_BREAKS = ["\n", "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0c", "\x0b"]
LINES = st.lists(st.tuples(st.sampled_from(LINE_STARTS), st.lists(st.sampled_from(LINE_CHUNKS), max_size=3),
                           st.sampled_from(LINE_BREAKS)), min_size=1, max_size=8)


@pytest.mark.timeout(600)
@settings(GENERATED, max_examples=1500 * SCALE)
@given(lines=LINES)
def test_service_and_from_cleared_in_comment_lines_never_reach_the_engine(engine, listener, lines):
    """The screen clears a SERVICE or FROM only in a line that is a comment from its start:
    whatever it clears of these, the engine neither connects nor reads another graph."""
    body = "".join(start + "".join(chunks) + end for start, chunks, end in lines)
    query = prologue(listener.port) + "SELECT * WHERE {\n" + _fill(body, listener.port) + "\n}"
    guard, _, _ = assert_agrees(engine, listener, query)
    if currently_in_test_context():
        event(f"screen {'clears' if screen(query) else 'reads'}, guard {guard}")


def test_the_screen_clears_service_and_from_in_comment_lines_only(engine, listener):
    cleared = [
        "SELECT * WHERE { ?s ?p ?o }\n# from the forum\n  # SERVICE <http://127.0.0.1:{port}/x> {}",
        "# FROM:g\r\nSELECT * WHERE { ?s ?p ?o }",
        "\t# title: clauses from 2024\nASK {}",
    ]
    read = [  # each hides a live SERVICE or FROM from a reader that takes the whole line for a comment
        "SELECT * WHERE {\n# c\rSERVICE:x {} }",  # a comment ends at CR
        "SELECT * WHERE { ?s ?p \"\"\"\n# \"\"\" SERVICE:x {} }",  # the "#" line starts inside a long string
        "SELECT * WHERE { ?s ?p '''\n#''' SERVICE:x {} }",
        "SELECT * FROM:g WHERE { # FROM\n ?s ?p ?o }",  # the first FROM is on a line of its own
        "SELECT * WHERE {\n\x0c# SERVICE:x {} }",  # a form feed is no blank for the engine
    ]
    for query in cleared:
        query = _fill(query, listener.port)
        assert screen(query), query
        assert assert_agrees(engine, listener, prologue(listener.port) + query)[0] == "allowed"
    for query in read:
        query = prologue(listener.port) + _fill(query, listener.port)
        assert not screen(query), query
        assert_agrees(engine, listener, query)
    connecting = prologue(listener.port) + "SELECT * WHERE {\n# c\rSERVICE:x {} }"
    assert assert_agrees(engine, listener, connecting)[1] > 0  # the CR case: the engine does connect


def test_the_screen_never_clears_service_from_or_a_bound_passed():
    deep = "SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1)
    chained = "SELECT * WHERE { ?s ?p ?o " + "FILTER(1)" * (MAX_CHAIN + 1) + " }"
    for query in [
        "SELECT * WHERE { SERVICE <http://e.example/> {} }", "select * where { sErViCe:x {} }",
        "SELECT * FROM <http://e.example/g> WHERE {}", "SELECT * fRoMex:g WHERE {}",
        "SELECT * WHERE { ?s ?p 'SERVICE' }",  # the screen reads no strings: it only ever says "read it"
        deep, chained, "SELECT * WHERE { " + "<<" * (MAX_NESTING + 1) + " }",
    ]:
        assert not screen(query), query
    for query in (deep, chained):
        with pytest.raises(QueryError):
            check_query(query)
    assert screen("SELECT * WHERE " + "{" * (MAX_NESTING // 2) + "}" * (MAX_NESTING // 2))
    assert screen("SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <a:a> <a:b> <a:c> }")  # the engine refuses Update


def test_a_language_tag_is_not_an_update_keyword():
    # The guard used to refuse "x"@data as Update's DATA; the engine reads a language tag.
    assert check_query('SELECT * WHERE { ?s ?p "x"@data }').form == "SELECT"
    with pytest.raises(QueryRefused):
        check_query('SELECT * WHERE { ?s ?p "x" } @ DATA')  # not glued to the '@': a keyword
