import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { randomBytes, toBase64 } from '../lib/crypto';

/**
 * The frame shared by the test pay page and the payment result page: self-contained (no external scripts,
 * fonts or images, docs/api.md §4.7), inline style and script allowed only through a per-response nonce.
 */

export const PAY_PAGE_PATH = '/api/v1/transactions/testpay-view/';

/** 128 random bits for the Content-Security-Policy nonce. */
export function createNonce(): string {
  return toBase64(randomBytes(16));
}

export interface CspOptions {
  nonce: string;
  script?: boolean;
  /** Scripts from this origin (a static asset such as the pay page's `/pay/pay.js`). */
  scriptSelf?: boolean;
  /** Sources the page's frames may show (docs/checkout.md §3); omitted means none (`default-src 'none'`). */
  frameSrc?: string[];
  connectSelf?: boolean;
  /** Pages that may frame this one; omitted means any. */
  frameAncestors?: string;
}

export function contentSecurityPolicy(options: CspOptions): string {
  const directives = [
    "default-src 'none'",
    `style-src 'nonce-${options.nonce}'`,
    options.script || options.scriptSelf
      ? `script-src ${[options.scriptSelf ? "'self'" : '', options.script ? `'nonce-${options.nonce}'` : ''].filter(Boolean).join(' ')}`
      : undefined,
    options.connectSelf ? "connect-src 'self'" : undefined,
    options.frameSrc?.length ? `frame-src ${options.frameSrc.join(' ')}` : undefined,
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    options.frameAncestors ? `frame-ancestors ${options.frameAncestors}` : undefined,
  ];
  return directives.filter(Boolean).join('; ');
}

const STYLE = `
  * { box-sizing: border-box; }
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f4f6fb;
    color: #1c2430; }
  main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  .card { background: #fff; border-radius: 12px; padding: 1.5rem; margin-bottom: 1rem;
    box-shadow: 0 1px 4px rgba(20, 30, 60, 0.12); }
  .card > :first-child { margin-top: 0; }
  h1 { font-size: 1.35rem; margin: 0 0 1rem; } h2 { font-size: 1.05rem; margin: 0 0 0.75rem; }
  label { display: block; font-weight: 600; font-size: 0.9rem; margin: 0.75rem 0 0.3rem; }
  input, textarea { width: 100%; padding: 0.6rem; border: 1px solid #c7cfdb; border-radius: 8px; font-size: 1rem;
    font-family: inherit; }
  button { margin-top: 1rem; padding: 0.65rem 1.2rem; border: 0; border-radius: 8px; background: #0b5fff;
    color: #fff; font-weight: 700; font-size: 1rem; cursor: pointer; }
  button.secondary { background: #e6ebf4; color: #1c2430; margin: 0 0 0 0.5rem; padding: 0.35rem 0.8rem; }
  button:disabled { opacity: 0.6; cursor: progress; }
  .muted { color: #5b6b80; font-size: 0.9rem; }
  .message { padding: 0.75rem 1rem; border-radius: 8px; margin-bottom: 1rem; }
  .message.error { background: #fdecec; color: #8f1d1d; } .message.info { background: #e9f2ff; color: #0b3d91; }
  .status { font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; }
  .status.succeeded { color: #0a7a3d; } .status.failed, .status.expired, .status.voided { color: #b42318; }
  .status.pending, .status.initiated { color: #9a6700; } .status.refunded { color: #5b3fc4; }
  iframe { width: 100%; height: 34rem; border: 1px solid #d5dbe5; border-radius: 12px; background: #fff; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0; }
  dt { font-weight: 600; } dd { margin: 0; word-break: break-all; }
  [hidden] { display: none !important; }
`;

/**
 * The headers every Worker-served page carries: HTML, never cached, its own CSP, no sniffing, no referrer
 * (docs/checkout.md). `extra` adds or overrides (e.g. `X-Frame-Options`).
 */
export function pageHeaders(csp: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...extra,
  };
}

export function pageShell(options: {
  title: string;
  nonce: string;
  body: HtmlEscapedString | Promise<HtmlEscapedString>;
  script?: string;
  /** A same-origin script file, loaded after the body. */
  scriptSrc?: string;
}) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${options.title}</title>
<style nonce="${options.nonce}">${raw(STYLE)}</style>
</head>
<body>
<main>
${options.body}
</main>
${options.script ? html`<script nonce="${options.nonce}">${raw(options.script)}</script>` : ''}
${options.scriptSrc ? html`<script src="${options.scriptSrc}"></script>` : ''}
</body>
</html>`;
}
