/**
 * The admin's one stylesheet, served by the Worker itself (no CDN, no web fonts: system font stacks). Its URL
 * carries a hash of the content, so it can be cached for a year and still change with every deploy.
 */
const CSS = `
:root {
  --bg: #f5f6f8; --panel: #fff; --text: #1d2330; --muted: #5c6475; --line: #dfe2e8;
  --brand: #1f5eff; --brand-dark: #1748c4; --brand-soft: #e8eeff;
  --ok: #0f7b3f; --ok-soft: #e3f5ea; --warn: #8a5a00; --warn-soft: #fff3d6;
  --bad: #b42318; --bad-soft: #fde8e6; --neutral: #475467; --neutral-soft: #eef0f3;
  --radius: 8px; --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .1);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.5; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--brand); }
a:hover { color: var(--brand-dark); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
h3 { font-size: 1rem; margin: 0 0 .5rem; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
pre { background: var(--neutral-soft); padding: .75rem; border-radius: 6px; overflow-x: auto; margin: .5rem 0 0; }
.skip-link { position: absolute; left: -9999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: var(--panel); padding: .5rem 1rem; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

/* Header and navigation: one row on a laptop, wrapping into a scrollable strip on a phone. */
.topbar { background: #101828; color: #fff; }
.topbar-inner { max-width: 1200px; margin: 0 auto; padding: .6rem 1rem; display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
.brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 1.05rem; white-space: nowrap; }
.brand span { color: #8fb0ff; font-weight: 500; }
.brand:hover { color: #fff; }
.nav { display: flex; gap: .25rem; overflow-x: auto; flex: 1 1 auto; }
.nav a { color: #d0d5dd; text-decoration: none; padding: .35rem .65rem; border-radius: 6px; white-space: nowrap; }
.nav a:hover { background: #1d2939; color: #fff; }
.nav a[aria-current="page"] { background: #344054; color: #fff; }
.who { display: flex; align-items: center; gap: .6rem; font-size: .9rem; color: #d0d5dd; white-space: nowrap; }
.who form { margin: 0; }
.who button { background: transparent; color: #fff; border: 1px solid #475467; padding: .25rem .7rem; }
.who button:hover { background: #1d2939; }
@media (max-width: 720px) {
  .nav { order: 3; flex-basis: 100%; }
  .topbar-inner { gap: .5rem; }
}

main { max-width: 1200px; width: 100%; margin: 0 auto; padding: 1.25rem 1rem 3rem; flex: 1; }
.page-head { display: flex; justify-content: space-between; align-items: flex-end; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
.page-head p { margin: 0; color: var(--muted); }
.crumbs { font-size: .9rem; margin-bottom: .35rem; }
footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 1rem; }

.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); padding: 1rem 1.1rem; margin-bottom: 1rem; }
.panel > h2:first-child { margin-top: 0; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
.cards { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); margin-bottom: 1rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: .8rem 1rem; box-shadow: var(--shadow); text-decoration: none; color: inherit; display: block; }
a.card:hover { border-color: var(--brand); color: inherit; }
.card .label { color: var(--muted); font-size: .85rem; }
.card .value { font-size: 1.6rem; font-weight: 700; line-height: 1.2; }
.card .sub { color: var(--muted); font-size: .8rem; }

/* Tables scroll sideways on narrow screens instead of squeezing. */
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); border-radius: var(--radius); background: var(--panel); }
table { border-collapse: collapse; width: 100%; }
.table-wrap table { min-width: 640px; }
th, td { text-align: left; padding: .55rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); background: #fafbfc; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: #fafbff; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
.muted { color: var(--muted); }
.small { font-size: .85rem; }

dl.fields { display: grid; grid-template-columns: minmax(120px, max-content) 1fr; gap: .35rem 1rem; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }

.badge { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-size: .78rem; font-weight: 600; white-space: nowrap; background: var(--neutral-soft); color: var(--neutral); }
.badge-ok { background: var(--ok-soft); color: var(--ok); }
.badge-warn { background: var(--warn-soft); color: var(--warn); }
.badge-bad { background: var(--bad-soft); color: var(--bad); }
.badge-info { background: var(--brand-soft); color: var(--brand-dark); }

/* Forms */
form { margin: 0; }
label { display: block; font-size: .85rem; color: var(--muted); margin-bottom: .2rem; }
input[type="text"], input[type="search"], input[type="password"], input[type="date"], input[type="number"], select, textarea {
  font: inherit; width: 100%; padding: .45rem .6rem; border: 1px solid #c9ced8; border-radius: 6px; background: #fff; color: var(--text);
}
input:focus, select:focus, textarea:focus, button:focus-visible, a:focus-visible { outline: 2px solid var(--brand); outline-offset: 1px; }
input[readonly] { background: var(--neutral-soft); }
textarea { min-height: 4.5rem; resize: vertical; }
.field { margin-bottom: .75rem; min-width: 0; }
.field-error { color: var(--bad); font-size: .85rem; margin: .2rem 0 0; }
.field.has-error input, .field.has-error select, .field.has-error textarea { border-color: var(--bad); }
.check { display: flex; align-items: center; gap: .4rem; color: var(--text); font-size: .9rem; }
.form-grid { display: grid; gap: 0 .75rem; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; }
button, .button { font: inherit; display: inline-block; padding: .45rem .95rem; border-radius: 6px; border: 1px solid var(--brand); background: var(--brand); color: #fff; cursor: pointer; text-decoration: none; line-height: 1.4; }
button:hover, .button:hover { background: var(--brand-dark); color: #fff; }
.button-secondary { background: #fff; color: var(--text); border-color: #c9ced8; }
.button-secondary:hover { background: var(--neutral-soft); color: var(--text); }
.button-ok { background: var(--ok); border-color: var(--ok); }
.button-ok:hover { background: #0b5e30; }
.button-danger { background: var(--bad); border-color: var(--bad); }
.button-danger:hover { background: #8f1c13; }
.button-small { padding: .2rem .6rem; font-size: .85rem; }

.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: flex-end; margin-bottom: 1rem; background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: .75rem; }
.filters .field { margin: 0; flex: 1 1 150px; max-width: 260px; }
.filters .actions { flex: 0 0 auto; }

.flash { border-radius: var(--radius); padding: .7rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.flash ul { margin: .35rem 0 0; padding-left: 1.2rem; }
.flash-success { background: var(--ok-soft); border-color: #a6dcb9; color: #084d27; }
.flash-error { background: var(--bad-soft); border-color: #f5b5ae; color: #7a1710; }
.flash-info { background: var(--brand-soft); border-color: #b8c9ff; color: #173a96; }

.empty { text-align: center; color: var(--muted); padding: 2rem 1rem; }
.pager { display: flex; justify-content: space-between; align-items: center; gap: .75rem; flex-wrap: wrap; margin-top: .75rem; font-size: .9rem; }
.pager .actions a[aria-disabled="true"] { pointer-events: none; opacity: .45; }

.timeline { list-style: none; margin: 0; padding: 0; border-left: 2px solid var(--line); }
.timeline li { position: relative; padding: 0 0 1rem 1.1rem; }
.timeline li::before { content: ""; position: absolute; left: -7px; top: .35rem; width: 12px; height: 12px; border-radius: 50%; background: var(--panel); border: 2px solid var(--brand); }
.timeline .when { color: var(--muted); font-size: .85rem; }
details > summary { cursor: pointer; color: var(--brand); font-size: .9rem; }

.address { border: 1px solid var(--line); border-radius: var(--radius); padding: .8rem; margin-bottom: .75rem; }
.address.main { border-color: var(--brand); }
.address-head { display: flex; justify-content: space-between; gap: .5rem; align-items: center; margin-bottom: .5rem; }
.doc-preview { max-width: 100%; max-height: 360px; border: 1px solid var(--line); border-radius: 6px; margin-top: .5rem; }
.decision { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); margin-top: 1rem; }
.decision form { border: 1px solid var(--line); border-radius: var(--radius); padding: .75rem; }

.chart-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
/* Below this width the labels would shrink past reading: the chart scrolls sideways instead. */
.chart { width: 100%; min-width: 560px; height: auto; display: block; }
.chart text { font-size: 11px; fill: #5c6475; font-family: inherit; }
.chart .bar { fill: #b8c9ff; }
.chart .bar-today { fill: var(--brand); }
.chart .rate { fill: none; stroke: var(--ok); stroke-width: 2; }
.chart .rate-dot { fill: var(--ok); }
.chart .grid-line { stroke: #e4e7ec; stroke-width: 1; }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .85rem; color: var(--muted); margin-top: .35rem; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: .3rem; vertical-align: -1px; }
.legend .l-bar { background: #b8c9ff; }
.legend .l-rate { background: var(--ok); height: 3px; vertical-align: 3px; }

.signin { max-width: 380px; margin: 8vh auto 0; }
.signin h1 { text-align: center; margin-bottom: 1rem; }
.signin .brand-big { text-align: center; font-weight: 700; font-size: 1.3rem; margin-bottom: .5rem; color: var(--brand); }
.signin button { width: 100%; }
.error-page { max-width: 560px; margin: 6vh auto 0; text-align: center; }
.error-page .code { font-size: 3rem; font-weight: 800; color: var(--muted); }
`;

/** FNV-1a over the stylesheet: a stable, synchronous fingerprint (cache busting, not security). */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export const ADMIN_CSS = CSS.trim();
export const ADMIN_CSS_VERSION = fingerprint(ADMIN_CSS);
export const ADMIN_CSS_PATH = '/admin/static/admin.css';
/** What pages link to: the version in the query makes each deploy's stylesheet a new URL. */
export const ADMIN_CSS_URL = `${ADMIN_CSS_PATH}?v=${ADMIN_CSS_VERSION}`;

// A versioned URL never changes content, so browsers may keep it for a year without asking again.
const VERSIONED_CACHE = 'public, max-age=31536000, immutable';
// An unversioned (or stale-versioned) request gets today's file, revalidated every time.
const UNVERSIONED_CACHE = 'public, max-age=0, must-revalidate';

/** The stylesheet response: long-lived only when the request names the current version. */
export function stylesheetResponse(version: string | undefined, ifNoneMatch: string | undefined): Response {
  const etag = `"${ADMIN_CSS_VERSION}"`;
  const headers = new Headers({
    'Content-Type': 'text/css; charset=utf-8',
    'Cache-Control': version === ADMIN_CSS_VERSION ? VERSIONED_CACHE : UNVERSIONED_CACHE,
    ETag: etag,
  });
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
  return new Response(ADMIN_CSS, { status: 200, headers });
}
