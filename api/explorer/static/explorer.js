"use strict";
// The explorer reads only the public API, with the query shapes the Ocean Market sends.
const API = "/api/aquarius";
const PAGE_SIZE = 20;
const TEXT_FIELDS = [
  "id", "nft.owner", "datatokens.address", "datatokens.name", "datatokens.symbol",
  "metadata.name^10", "metadata.author", "metadata.description", "metadata.tags",
];
const STATES = {0: "Active", 1: "End of life", 2: "Deprecated", 3: "Revoked", 4: "Ordering disabled", 5: "Unlisted"};
const STATE_TONE = {0: "ok", 1: "warn", 2: "bad", 3: "bad", 4: "warn", 5: "muted"};
const SORTS = new Set(["_score", "nft.created", "stats.orders", "stats.price.value"]);

const $ = (id) => document.getElementById(id);
const esc = (value) => String(value ?? "").replace(/[&<>"']/g,
  (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
// Query-string syntax characters are escaped so that typed text is searched for, not parsed.
const escapeQuery = (text) => text.replace(/[!*+\-=<>&|()[\]{}^~?:\\/"]/g, "\\$&");

let page = 1;

async function getJson(path, init) {
  const response = await fetch(path, init);
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  return {status: response.status, ok: response.ok, body};
}

function postQuery(body) {
  return getJson(`${API}/assets/query`, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
}

function filters() {
  return {
    q: $("q").value.trim(),
    chain: $("f-chain").value,
    type: $("f-type").value,
    tags: $("f-tags").value.split(",").map((t) => t.trim()).filter(Boolean),
    state: $("f-state").value,
    sort: $("f-sort").value,
    hidePurgatory: $("f-purgatory").checked,
  };
}

function searchBody(f) {
  const filter = [];
  if (f.chain) filter.push({term: {chainId: Number(f.chain)}});
  if (f.type) filter.push({term: {"metadata.type": f.type}});
  for (const tag of f.tags) filter.push({term: {"metadata.tags.keyword": tag}});
  if (f.state !== "") filter.push({term: {"nft.state": Number(f.state)}});
  if (f.hidePurgatory) filter.push({term: {"purgatory.state": false}});
  const bool = {filter};
  if (f.q) {
    const words = f.q.split(/\s+/).map(escapeQuery);
    bool.must = [{bool: {should: [
      {query_string: {query: words.join(" "), fields: TEXT_FIELDS, default_operator: "AND", boost: 5}},
      {query_string: {query: words.map((w) => w + "*").join(" "), fields: TEXT_FIELDS, default_operator: "AND",
        lenient: true}},
    ]}}];
  }
  const sort = f.sort === "_score" && !f.q ? "nft.created" : f.sort;
  return {from: (page - 1) * PAGE_SIZE, size: PAGE_SIZE, query: {bool}, sort: {[sort]: "desc"}};
}

function price(stats) {
  const p = stats && stats.price;
  if (!p || typeof p.value !== "number") return "—";
  if (p.value === 0 && !p.tokenSymbol) return "Free";
  return `${p.value.toLocaleString(undefined, {maximumFractionDigits: 6})} ${esc(p.tokenSymbol || "")}`;
}

function stateBadge(nft) {
  const state = nft && nft.state;
  if (state === undefined || state === null || state === "") return '<span class="pill pill-muted">unknown</span>';
  return `<span class="pill pill-${STATE_TONE[state] || "muted"}">${esc(STATES[state] || `state ${state}`)}</span>`;
}

function purgatoryBadge(doc) {
  return doc.purgatory && doc.purgatory.state ? ' <span class="pill pill-bad" title="in purgatory">purgatory</span>' : "";
}

const assetName = (doc) => (doc.metadata && doc.metadata.name) || "(no metadata)";

function writeHash(f) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(f)) {
    const text = Array.isArray(value) ? value.join(",") : value === true ? "1" : value === false ? "" : value;
    if (text && !(key === "sort" && text === "_score")) params.set(key, text);
  }
  if (page > 1) params.set("page", page);
  const hash = "#/" + (params.toString() ? "?" + params : "");
  document.querySelector(".back").href = hash;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function readHash(query) {
  const params = new URLSearchParams(query);
  $("q").value = params.get("q") || "";
  $("f-chain").value = params.get("chain") || "";
  $("f-type").value = params.get("type") || "";
  $("f-tags").value = params.get("tags") || "";
  $("f-state").value = params.get("state") || "";
  $("f-sort").value = SORTS.has(params.get("sort")) ? params.get("sort") : "_score";
  $("f-purgatory").checked = params.get("hidePurgatory") === "1";
  page = Math.max(Number(params.get("page")) || 1, 1);
}

async function search() {
  const f = filters();
  writeHash(f);
  $("summary").textContent = "Searching…";
  const {ok, body} = await postQuery(searchBody(f));
  const rows = $("results").querySelector("tbody");
  if (!ok) {
    rows.innerHTML = "";
    $("summary").textContent = `Search failed: ${(body && body.error) || "no answer"}`;
    return;
  }
  const total = body.hits.total.value;
  const pages = Math.max(Math.ceil(total / PAGE_SIZE), 1);
  $("summary").textContent = `${total.toLocaleString()} asset${total === 1 ? "" : "s"}${f.q ? ` for “${f.q}”` : ""}`;
  rows.innerHTML = body.hits.hits.map((hit) => {
    const doc = hit._source;
    const type = (doc.metadata && doc.metadata.type) || "—";
    return `<tr data-did="${esc(hit._id)}">
      <td><a class="asset-link" href="#/asset/${encodeURIComponent(hit._id)}">${esc(assetName(doc))}</a>${purgatoryBadge(doc)}
        <div class="sub mono">${esc(hit._id)}</div></td>
      <td><span class="type type-${esc(type)}">${esc(type)}</span></td>
      <td>${esc(doc.chainId ?? "—")}</td>
      <td class="num">${price(doc.stats)}</td>
      <td class="num orders">${esc((doc.stats && doc.stats.orders) ?? "—")}</td>
      <td>${stateBadge(doc.nft)}</td>
    </tr>`;
  }).join("") || '<tr><td colspan="6" class="empty">No assets match.</td></tr>';
  $("page").textContent = `Page ${page} of ${pages}`;
  $("prev").disabled = page <= 1;
  $("next").disabled = page >= pages;
}

function field(label, value, mono) {
  return `<div class="field"><dt>${esc(label)}</dt><dd class="${mono ? "mono" : ""}">${value}</dd></div>`;
}

function historyTable(status, body) {
  const entries = Array.isArray(body) ? body : (body && (body.history || body.entries)) || null;
  if (status !== 200 || !Array.isArray(entries) || entries.length === 0) {
    return '<p class="muted" id="history-empty">No history.</p>';
  }
  const known = new Set(["did", "chain_id", "kind", "tx", "block", "log_index"]);
  return `<table class="table" id="history"><thead><tr><th class="num">Block</th><th>Event</th><th>Transaction</th>
    <th>Details</th></tr></thead><tbody>${entries.map((e) => `<tr><td class="num">${esc(e.block)}</td>
    <td>${esc(e.kind)}</td><td class="mono sub">${esc(e.tx)}</td><td class="mono sub">${esc(JSON.stringify(
      Object.fromEntries(Object.entries(e).filter(([k]) => !known.has(k)))))}</td></tr>`).join("")}</tbody></table>`;
}

async function showAsset(did) {
  const root = $("asset");
  root.innerHTML = '<p class="muted">Loading…</p>';
  const [ddo, hist] = await Promise.all([
    getJson(`${API}/assets/ddo/${encodeURIComponent(did)}`),
    getJson(`${API}/assets/history/${encodeURIComponent(did)}`),
  ]);
  if (!ddo.ok) {
    root.innerHTML = `<h1>Asset not found</h1><p class="muted">${esc((ddo.body && ddo.body.error) || did)}</p>`;
    return;
  }
  const doc = ddo.body;
  const meta = doc.metadata || {};
  const nft = doc.nft || {};
  const tags = (meta.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(" ");
  const onchain = doc.onchainData === undefined ? ""
    : `<h2>On-chain data</h2><pre class="json" id="onchain">${esc(JSON.stringify(doc.onchainData, null, 2))}</pre>`;
  root.innerHTML = `
    <div class="asset-head">
      <h1 id="asset-name">${esc(assetName(doc))}</h1>
      <div>${stateBadge(nft)}${purgatoryBadge(doc)} <span class="type type-${esc(meta.type || "")}">${esc(meta.type || "")}</span></div>
    </div>
    ${meta.description ? `<p class="description">${esc(meta.description)}</p>` : ""}
    ${tags ? `<p>${tags}</p>` : ""}
    <div class="stats">
      <div class="stat"><span class="label">Orders</span><span class="value" id="asset-orders">${esc((doc.stats && doc.stats.orders) ?? "—")}</span></div>
      <div class="stat"><span class="label">Price</span><span class="value">${price(doc.stats)}</span></div>
      <div class="stat"><span class="label">Chain</span><span class="value">${esc(doc.chainId ?? "—")}</span></div>
    </div>
    <dl class="fields">
      ${field("DID", esc(did), true)}
      ${field("Data NFT", esc(nft.address || doc.nftAddress || "—"), true)}
      ${field("Owner", esc(nft.owner || "—"), true)}
      ${field("Author", esc(meta.author || "—"))}
      ${field("Created", esc(nft.created || meta.created || "—"))}
      ${field("Published in", doc.event ? `block ${esc(doc.event.block)} · <span class="mono">${esc(doc.event.tx)}</span>` : "—")}
      ${doc.purgatory && doc.purgatory.reason ? field("Purgatory reason", esc(doc.purgatory.reason)) : ""}
    </dl>
    <h2>History</h2>
    ${historyTable(hist.status, hist.body)}
    ${onchain}
    <h2>Stored document</h2>
    <pre class="json" id="ddo">${esc(JSON.stringify(doc, null, 2))}</pre>`;
}

async function showChains() {
  const [list, readiness] = await Promise.all([getJson(`${API}/chains/list`), getJson("/ready")]);
  const ids = list.ok ? Object.keys(list.body) : [];
  const ready = (readiness.body && readiness.body.chains) || {};
  const rows = await Promise.all(ids.map(async (id) => {
    const status = await getJson(`${API}/chains/status/${encodeURIComponent(id)}`);
    const r = ready[id] || {};
    const last = status.ok ? status.body.last_block : "—";
    const tone = r.ready === false ? "warn" : "ok";
    return `<tr><td>${esc(id)}</td><td class="num">${esc(last)}</td><td class="num">${esc(r.head ?? "—")}</td>
      <td class="num">${esc(r.lag ?? "—")}</td><td><span class="pill pill-${tone}">${r.ready === false ? "catching up" : "in sync"}</span></td></tr>`;
  }));
  $("chains").querySelector("tbody").innerHTML = rows.join("") || '<tr><td colspan="5" class="empty">No chains indexed yet.</td></tr>';
  const store = readiness.body && readiness.body.store;
  $("chains-summary").textContent = `${ids.length} chain${ids.length === 1 ? "" : "s"} indexed · store ${store ? "reachable" : "unreachable"}`;
}

async function refreshReadiness() {
  const {ok, body} = await getJson("/ready");
  const badge = $("readiness");
  badge.textContent = ok ? "ready" : body && body.store === false ? "store down" : "not ready";
  badge.className = `pill pill-${ok ? "ok" : "warn"}`;
}

async function loadChainOptions() {
  const {ok, body} = await getJson(`${API}/chains/list`);
  if (!ok) return;
  const select = $("f-chain");
  const chosen = select.value;
  for (const id of Object.keys(body)) select.add(new Option(`Chain ${id}`, id));
  select.value = chosen;
}

function show(view) {
  for (const name of ["search", "asset", "chains"]) $(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === view || (view === "asset" && link.dataset.nav === "search"));
  }
}

async function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  if (hash.startsWith("/asset/")) {
    show("asset");
    await showAsset(decodeURIComponent(hash.slice("/asset/".length)));
  } else if (hash === "/chains") {
    show("chains");
    await showChains();
  } else {
    show("search");
    readHash(hash.split("?")[1] || "");
    await search();
  }
}

$("search-form").addEventListener("submit", (event) => { event.preventDefault(); page = 1; search(); });
for (const id of ["f-chain", "f-type", "f-state", "f-sort", "f-purgatory", "f-tags"]) {
  $(id).addEventListener("change", () => { page = 1; search(); });
}
$("prev").addEventListener("click", () => { page -= 1; search(); });
$("next").addEventListener("click", () => { page += 1; search(); });
window.addEventListener("hashchange", route);
loadChainOptions().then(route);
refreshReadiness();
