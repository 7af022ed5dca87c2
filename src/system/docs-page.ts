/**
 * docs/security.md §5: the page has a token field and "Try it", so it is locked down like the admin: only its
 * own script (/docs.js) runs, only its nonce'd style applies, requests go to this origin only, nothing may
 * frame it (clickjacking the token field) and nothing is sniffed.
 */
export function docsPageHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/**
 * An interactive API reference rendered in the browser from /openapi.json. Self-contained on purpose: no
 * CDN scripts or fonts, so it works offline and under a strict CSP (the script is served from /docs.js).
 */
export function docsPage(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>StackPay API reference</title>
<style nonce="${nonce}">
:root{--ink:#1d2433;--muted:#5b6475;--line:#dfe3ea;--brand:#2952cc;--bg:#f7f8fb}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--ink);color:#fff;padding:14px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header input{flex:1;min-width:220px;padding:6px 8px;border-radius:6px;border:0}
main{max-width:1000px;margin:0 auto;padding:16px}h2{margin:28px 0 8px;font-size:17px}
details{background:#fff;border:1px solid var(--line);border-radius:8px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px/1 ui-monospace,monospace;padding:4px 6px;border-radius:4px;color:#fff;min-width:56px;text-align:center}
.get{background:#2f7d4f}.post{background:#2952cc}.put,.patch{background:#a66300}.delete{background:#b3261e}
code,pre,textarea{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
.body{padding:0 12px 12px}pre{background:var(--bg);padding:8px;border-radius:6px;overflow:auto;max-height:360px}
textarea{width:100%;min-height:90px}button{background:var(--brand);color:#fff;border:0;border-radius:6px;padding:6px 14px;cursor:pointer}
.muted{color:var(--muted)}
</style></head>
<body><header><h1>StackPay API</h1><input id="token" placeholder="Bearer access token for Try it (kept in this page only)" autocomplete="off"></header>
<main id="app"><p class="muted">Loading /openapi.json…</p></main>
<script src="/docs.js"></script></body></html>`;
}

export const DOCS_SCRIPT = `'use strict';
const el = (tag, attrs, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const kid of kids) node.append(kid);
  return node;
};
const pretty = (v) => JSON.stringify(v, null, 2);
function resolve(doc, schema) {
  if (schema && schema.$ref) return doc.components.schemas[schema.$ref.split('/').pop()];
  return schema;
}
function operation(doc, path, method, op) {
  const details = el('details');
  details.append(el('summary', {}, el('span', { class: 'm ' + method }, method.toUpperCase()), el('code', {}, path), el('span', { class: 'muted' }, op.summary || '')));
  const body = el('div', { class: 'body' });
  if (op.description) body.append(el('p', {}, op.description));
  const params = op.parameters || [];
  const inputs = {};
  for (const p of params) {
    const input = el('input', { placeholder: p.name + ' (' + p.in + ')' });
    inputs[p.in + ':' + p.name] = input;
    body.append(el('div', {}, el('code', {}, p.name), ' ', el('span', { class: 'muted' }, p.in + (p.required ? ', required' : '')), ' ', input));
  }
  const json = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
  let textarea = null;
  if (json) {
    body.append(el('h4', {}, 'Request body'), el('pre', {}, pretty(resolve(doc, json.schema))));
    textarea = el('textarea', {}, '{}');
    body.append(textarea);
  }
  body.append(el('h4', {}, 'Responses'));
  for (const [status, r] of Object.entries(op.responses || {})) {
    const content = r.content && Object.values(r.content)[0];
    body.append(el('div', {}, el('strong', {}, status + ' '), r.description || ''));
    if (content && content.schema) body.append(el('pre', {}, pretty(resolve(doc, content.schema))));
  }
  const out = el('pre', {}, '');
  const send = el('button', { type: 'button' }, 'Try it');
  send.addEventListener('click', async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const p of params) {
      const v = inputs[p.in + ':' + p.name].value;
      if (!v) continue;
      if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(v));
      else if (p.in === 'query') query.append(p.name, v);
    }
    if ([...query].length) url += '?' + query;
    const headers = {};
    const token = document.getElementById('token').value.trim();
    if (token) headers.Authorization = 'Bearer ' + token;
    const init = { method: method.toUpperCase(), headers };
    if (textarea) { headers['Content-Type'] = 'application/json'; init.body = textarea.value; }
    out.textContent = '…';
    try {
      const res = await fetch(url, init);
      const text = await res.text();
      let shown = text;
      try { shown = pretty(JSON.parse(text)); } catch {}
      out.textContent = res.status + ' ' + res.statusText + '\\n' + shown;
    } catch (e) { out.textContent = String(e); }
  });
  body.append(send, out);
  details.append(body);
  return details;
}
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  const app = document.getElementById('app');
  app.textContent = '';
  app.append(el('p', { class: 'muted' }, doc.info.title + ' ' + doc.info.version + ' — OpenAPI ' + doc.openapi));
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'Other';
      (byTag[tag] = byTag[tag] || []).push(operation(doc, path, method, op));
    }
  }
  for (const [tag, ops] of Object.entries(byTag)) app.append(el('h2', {}, tag), ...ops);
}).catch((e) => { document.getElementById('app').textContent = 'Could not load /openapi.json: ' + e; });
`;
