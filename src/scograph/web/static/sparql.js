// The SPARQL query page: examples, a textarea editor, results as a table, downloads.
// Works offline: no library, no CDN; without JavaScript the form still posts to /sparql.
(function () {
  "use strict";
  const page = document.getElementById("sparql-page");
  if (!page) return;
  const endpoint = page.dataset.endpoint;
  const baseIri = page.dataset.baseIri;
  const root = page.dataset.root;  // a path ("/"): the page's links are relative to the site
  const siteUrl = root ? new URL(root, window.location.href).href : "";
  const form = page.querySelector("form");
  const editor = document.getElementById("query");
  const exampleSelect = document.getElementById("example");
  const exampleDescription = document.getElementById("example-description");
  const formatSelect = document.getElementById("format");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const summary = document.getElementById("summary");
  const downloads = document.getElementById("downloads");
  const tableWrap = document.getElementById("table-wrap");
  const runButton = document.getElementById("run");
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const formats = JSON.parse(document.getElementById("formats-data").textContent);
  // Every word this script shows comes from the server's catalogue, in the page's language.
  const messages = JSON.parse(document.getElementById("messages-data").textContent);
  const lang = page.dataset.lang;
  function say(key, values) {
    return (messages[key] || key).replace(/\{(\w+)\}/g, function (_, name) {
      return values && name in values ? String(values[name]) : "{" + name + "}";
    });
  }

  // -- editor ----------------------------------------------------------------------
  exampleSelect.addEventListener("change", function () {
    const example = examples.find(function (e) { return e.slug === exampleSelect.value; });
    exampleDescription.textContent = example ? example.description : "";
    if (example) { editor.value = example.query; editor.focus(); }
  });

  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    } else if (event.key === "Tab" && !event.shiftKey && !event.altKey) {
      // Indent inside the editor; Escape then Tab (or Shift+Tab) still leaves it.
      if (editor.dataset.escaped === "1") { editor.dataset.escaped = ""; return; }
      event.preventDefault();
      const start = editor.selectionStart, end = editor.selectionEnd;
      editor.setRangeText("  ", start, end, "end");
    } else if (event.key === "Escape") {
      editor.dataset.escaped = "1";
    }
  });

  // -- running ---------------------------------------------------------------------
  function post(params, accept) {
    const body = new URLSearchParams(params);
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": accept },
      body: body,
    });
  }

  async function errorMessage(response) {
    const text = await response.text();
    try { return JSON.parse(text).message || text; } catch (e) { return text; }
  }

  form.addEventListener("submit", async function (event) {
    if (formatSelect.value) return; // a chosen format: let the browser show or save the raw answer
    event.preventDefault();
    const query = editor.value;
    runButton.disabled = true;
    status.textContent = say("sparql.running");
    const started = performance.now();
    try {
      const response = await post({ query: query }, "application/sparql-results+json, text/turtle;q=0.9");
      const ms = Math.round(performance.now() - started);
      if (!response.ok) {
        status.textContent = "";
        show(errorBox(response.status, await errorMessage(response)), null, query);
        return;
      }
      const type = (response.headers.get("Content-Type") || "").split(";")[0];
      const count = response.headers.get("X-Result-Count");
      const truncated = response.headers.get("X-Result-Truncated") === "true";
      const limit = response.headers.get("X-Result-Limit");
      const cut = truncated ? say("sparql.summary_cut", { limit: limit }) : "";
      status.textContent = say("sparql.done", { ms: ms });
      if (type === "text/turtle") {
        const text = await response.text();
        summary.textContent = say("sparql.summary_triples", { count: count || "?", ms: ms }) + cut;
        show(turtleView(text), "graph", query);
      } else {
        const data = await response.json();
        if ("boolean" in data) {
          summary.textContent = say("sparql.summary_ask", { ms: ms }) + cut;
          const p = document.createElement("p");
          p.className = "boolean";
          p.textContent = data.boolean ? say("sparql.yes") : say("sparql.no");
          show(p, "results", query);
        } else {
          summary.textContent = say("sparql.summary_rows", { count: data.results.bindings.length, ms: ms }) + cut;
          show(table(data), "results", query);
        }
      }
      keepLink(query);
    } catch (e) {
      status.textContent = "";
      show(errorBox(0, say("sparql.unreachable", { error: e.message })), null, query);
    } finally {
      runButton.disabled = false;
    }
  });

  function show(node, kind, query) {
    tableWrap.replaceChildren(node);
    downloads.replaceChildren();
    if (!kind) summary.textContent = "";
    else downloadLinks(kind, query);
    results.hidden = false;
  }

  function errorBox(code, message) {
    const box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    const title = document.createElement("strong");
    title.textContent = code ? say("sparql.error_code", { code: code }) : say("sparql.error");
    const pre = document.createElement("pre");
    pre.textContent = message;
    box.append(title, pre);
    return box;
  }

  // -- the link to the query (as YASGUI keeps it) ----------------------------------
  const MAX_LINK_QUERY_CHARS = 3000; // longer queries stay POSTed: URLs that long are refused by servers
  function shareUrl(query) {
    const url = new URL(endpoint, window.location.href);
    url.searchParams.set("query", query);
    if (lang) url.searchParams.set("lang", lang);
    return url.pathname + url.search;
  }
  function keepLink(query) {
    if (query.length > MAX_LINK_QUERY_CHARS) return;
    const href = shareUrl(query);
    window.history.replaceState(null, "", href);
    const a = document.createElement("a");
    a.id = "share-link";
    a.href = href;
    a.textContent = say("sparql.link_to_query");
    downloads.append(downloads.childNodes.length ? " · " : "", a);
  }

  // -- rendering -------------------------------------------------------------------
  function localHref(iri) {
    if (baseIri && iri.indexOf(baseIri) === 0 && root) {
      const url = new URL(root + iri.slice(baseIri.length), window.location.href);  // root is a path
      if (lang) url.searchParams.set("lang", lang); // the reader's language follows the link
      return url.href;
    }
    return iri;
  }

  function link(iri) {
    const a = document.createElement("a");
    a.href = localHref(iri);
    a.textContent = iri;
    if (!siteUrl || a.href.indexOf(siteUrl) !== 0) a.rel = "external";
    return a;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.append(link(term.value));
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
      td.className = "bnode";
    } else if (term.type === "triple") {
      td.textContent = "<< " + [term.value.subject, term.value.predicate, term.value.object].map(function (t) { return t.value; }).join(" ") + " >>";
    } else {
      const span = document.createElement("span");
      span.textContent = term.value;
      if (term["xml:lang"]) {
        span.lang = term["xml:lang"];
        const tag = document.createElement("small");
        tag.className = "lang";
        tag.textContent = term["xml:lang"];
        td.append(span, " ", tag);
      } else {
        if (term.datatype) span.title = term.datatype;
        td.append(span);
      }
    }
    return td;
  }

  function table(data) {
    const vars = data.head.vars;
    const tableElement = document.createElement("table");
    const head = tableElement.createTHead().insertRow();
    vars.forEach(function (name) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = "?" + name;
      head.append(th);
    });
    const body = tableElement.createTBody();
    data.results.bindings.forEach(function (row) {
      const tr = body.insertRow();
      vars.forEach(function (name) { tr.append(cell(row[name])); });
    });
    return tableElement;
  }

  function turtleView(text) {
    // Turtle as text with every <IRI> a link; built from text nodes, never innerHTML.
    const pre = document.createElement("pre");
    pre.className = "turtle";
    const pattern = /<([^<>"\s]+)>/g;
    let last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      pre.append(text.slice(last, match.index), "<", link(match[1]), ">");
      last = pattern.lastIndex;
    }
    pre.append(text.slice(last));
    return pre;
  }

  // -- downloads -------------------------------------------------------------------
  function downloadLinks(kind, query) {
    const list = formats[kind] || [];
    downloads.append(say("sparql.download"));
    list.forEach(function (f, i) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = f.label;
      button.addEventListener("click", async function () {
        const response = await post({ query: query, format: f.key, download: "1" }, f.media_type);
        if (!response.ok) { status.textContent = say("sparql.download_failed", { error: await errorMessage(response) }); return; }
        const url = URL.createObjectURL(await response.blob());
        const a = document.createElement("a");
        a.href = url;
        a.download = "query-result." + f.extension;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      });
      if (i) downloads.append(" · ");
      downloads.append(button);
    });
  }
})();
