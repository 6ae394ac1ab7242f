"""PREFIX and BASE as Oxigraph reads them, and the IRIs they make.

The guard and :func:`~scograph.sparql.guard.rewrite_iris` must know which IRI a
prefixed name or a relative IRI stands for exactly as the engine does: glued
declarations (``PREFIXex:<...>``) count, a later declaration of a prefix wins,
and relative IRIs resolve against ``BASE`` by RFC 3986 for any scheme.
"""

from __future__ import annotations

import re

from scograph.sparql.lexer import Token, is_prefix_label


def unescape_iri(text: str) -> str:
    """The text of an IRIREF with its \\u / \\U escapes decoded."""
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        text,
    )


class Prologue:
    """``PREFIX`` and ``BASE`` as the engine reads them, glued forms included; later ones win."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}
        self.base: str | None = None
        self.expecting: str | None = None  # "prefix-name", "prefix-iri", "base-iri"
        self._pending = ""

    def feed(self, token: Token) -> bool:
        """Take ``token`` if it belongs to a declaration; True when it did."""
        if self.expecting == "prefix-name":
            label = token.text[:-1] if token.kind == "pname" and token.text.endswith(":") else None
            self.expecting, self._pending = ("prefix-iri", label) if label is not None else (None, "")
            return True
        if self.expecting in ("prefix-iri", "base-iri"):
            if token.kind == "iri":
                iri = self.resolve_iri(token.text)
                if self.expecting == "prefix-iri":
                    self.prefixes[self._pending] = iri
                else:
                    self.base = iri
            self.expecting = None
            return True
        if token.kind not in ("word", "pname"):
            return False
        upper = token.text.upper()
        if upper.startswith("PREFIX"):
            rest = token.text[6:]
            if rest == "":
                self.expecting = "prefix-name"
                return True
            if token.kind == "pname" and rest.endswith(":") and is_prefix_label(rest[:-1]):  # PREFIXex:
                self.expecting, self._pending = "prefix-iri", rest[:-1]
                return True
        if upper == "BASE":
            self.expecting = "base-iri"
            return True
        return False

    def resolve_iri(self, text: str) -> str:
        return resolve_reference(self.base, unescape_iri(text[1:-1]))

    def expand(self, text: str) -> str | None:
        """The IRI of a prefixed name, or None when its prefix is not declared."""
        prefix, _, local = text.partition(":")
        if prefix not in self.prefixes:
            return None
        return self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)


_RFC3986 = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)


def resolve_reference(base: str | None, reference: str) -> str:
    """``reference`` resolved against ``base`` as RFC 3986 (5.2) says, for any scheme.

    :func:`urllib.parse.urljoin` leaves references alone under schemes it does not
    know (``urn:``, ``tag:``); the engine resolves them all. Without a base the
    reference is kept as written.
    """
    if not base:
        return reference
    r_scheme, r_auth, r_path, r_query, r_frag = _RFC3986.fullmatch(reference).groups()
    b_scheme, b_auth, b_path, b_query, _ = _RFC3986.fullmatch(base).groups()
    if r_scheme is not None:
        scheme, auth, path, query = r_scheme, r_auth, _remove_dots(r_path), r_query
    elif r_auth is not None:
        scheme, auth, path, query = b_scheme, r_auth, _remove_dots(r_path), r_query
    elif r_path == "":
        scheme, auth, path, query = b_scheme, b_auth, b_path, r_query if r_query is not None else b_query
    elif r_path.startswith("/"):
        scheme, auth, path, query = b_scheme, b_auth, _remove_dots(r_path), r_query
    else:
        merged = "/" + r_path if b_auth is not None and b_path == "" else b_path[: b_path.rfind("/") + 1] + r_path
        scheme, auth, path, query = b_scheme, b_auth, _remove_dots(merged), r_query
    out = (f"{scheme}:" if scheme is not None else "") + (f"//{auth}" if auth is not None else "") + path
    if query is not None:
        out += f"?{query}"
    if r_frag is not None:
        out += f"#{r_frag}"
    return out


def _remove_dots(path: str) -> str:
    """RFC 3986 5.2.4."""
    output: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if output:
                output.pop()
        elif path == "/..":
            path = "/"
            if output:
                output.pop()
        elif path in (".", ".."):
            path = ""
        else:
            cut = path.find("/", 1)
            segment, path = (path, "") if cut < 0 else (path[:cut], path[cut:])
            output.append(segment)
    return "".join(output)
