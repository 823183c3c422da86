"""The interactive API page served at `/api/docs`: self-contained (no CDN), it reads `/spec` and lets one try
each route from the browser."""

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Aquarius API</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
details { border: 1px solid #ccc; border-radius: 4px; margin: .5rem 0; padding: .5rem 1rem; }
summary { cursor: pointer; font-family: monospace; font-size: 1rem; }
.method { display: inline-block; width: 4rem; font-weight: bold; }
textarea, input { width: 100%; font-family: monospace; box-sizing: border-box; }
pre { background: #f5f5f5; padding: .5rem; overflow: auto; max-height: 30rem; }
</style>
</head>
<body>
<h1 id="title">Aquarius API</h1>
<p id="description"></p>
<div id="routes"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
async function tryIt(form, method, path) {
  let url = path;
  const params = new URLSearchParams();
  for (const input of form.querySelectorAll("input[data-in]")) {
    if (!input.value) continue;
    if (input.dataset.in === "path") url = url.replace("{" + input.name + "}", encodeURIComponent(input.value));
    else params.append(input.name, input.value);
  }
  if ([...params].length) url += "?" + params;
  const body = form.querySelector("textarea");
  const init = {method};
  if (body) { init.body = body.value; init.headers = {"Content-Type": body.dataset.type}; }
  const out = form.querySelector("pre");
  try {
    const response = await fetch(url, init);
    out.textContent = response.status + " " + response.statusText + "\\n\\n" + await response.text();
  } catch (err) { out.textContent = String(err); }
}
fetch("/spec").then((r) => r.json()).then((spec) => {
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
  document.getElementById("description").textContent = spec.info.description || "";
  const root = document.getElementById("routes");
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const el = document.createElement("details");
      const inputs = (op.parameters || []).map((p) =>
        `<label>${esc(p.name)} (${esc(p.in)})<input name="${esc(p.name)}" data-in="${esc(p.in)}"></label>`).join("");
      const content = op.requestBody ? Object.keys(op.requestBody.content)[0] : null;
      const body = content
        ? `<label>body (${esc(content)})<textarea rows="6" data-type="${esc(content)}"></textarea></label>`
        : "";
      const title = `<span class="method">${method.toUpperCase()}</span>${esc(path)} — ${esc(op.summary || "")}`;
      el.innerHTML = `<summary>${title}</summary><p>${esc(op.description || "")}</p>
        <form>${inputs}${body}<button type="submit">Send</button><pre></pre></form>`;
      el.querySelector("form").addEventListener("submit", (e) => {
        e.preventDefault();
        tryIt(e.target, method.toUpperCase(), path);
      });
      root.appendChild(el);
    }
  }
});
</script>
</body>
</html>
"""
