/** A rendered e-mail: every message type has an HTML part and a plain-text part with the same content. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const BRAND = {
  name: 'StackPay',
  color: '#1f4fd1',
  ink: '#1f2933',
  muted: '#616e7c',
  footer: 'StackPay · payments for Egypt, Saudi Arabia, the UAE, Oman and Pakistan',
} as const;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every interpolated value goes through this: usernames and reasons are user- or staff-supplied. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** One line for a subject or header: control characters (CR/LF included) would break the mail's headers. */
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** What one e-mail says, laid out the same way for every kind (the wording lives with its domain). */
export interface EmailLayout {
  subject: string;
  /** Hidden preview line most mail clients show next to the subject. */
  preheader: string;
  heading: string;
  /** Paragraphs as plain text; rendered escaped in HTML and as-is in text. */
  paragraphs: string[];
  /** A value to stand out (the code, the amount), shown large in HTML and on its own line in text. */
  highlight?: string;
  /** A button (HTML) and a bare URL line (text), e.g. the password-reset link. */
  link?: { href: string; label: string };
  closing?: string;
}

/** The HTML and plain-text parts of an e-mail, with the same content. */
export function renderLayout(content: EmailLayout): RenderedEmail {
  return { subject: oneLine(content.subject), text: renderText(content), html: renderHtml(content) };
}

function renderText(content: EmailLayout): string {
  const lines = [content.heading, '', ...content.paragraphs.flatMap((p) => [p, ''])];
  if (content.highlight) lines.push(`    ${content.highlight}`, '');
  if (content.link) lines.push(`${content.link.label}: ${content.link.href}`, '');
  if (content.closing) lines.push(content.closing, '');
  lines.push('— The StackPay team', '', BRAND.footer);
  return `${lines.join('\n')}\n`;
}

// Table layout and inline styles only: many mail clients drop <style> blocks and ignore flexbox.
function renderHtml(content: EmailLayout): string {
  const paragraph = (text: string) =>
    `<p style="margin:0 0 16px;font-size:16px;line-height:24px;color:${BRAND.ink};">${escapeHtml(text)}</p>`;
  const highlight = content.highlight
    ? `<p style="margin:8px 0 24px;font-size:32px;line-height:40px;font-weight:700;letter-spacing:4px;color:${BRAND.ink};">${escapeHtml(content.highlight)}</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(oneLine(content.subject))}</title>
</head>
<body style="margin:0;padding:0;background:#f5f7fa;font-family:Helvetica,Arial,sans-serif;">
<span style="display:none;max-height:0;overflow:hidden;">${escapeHtml(content.preheader)}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f5f7fa;padding:24px 0;">
<tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;width:100%;background:#ffffff;border-radius:8px;">
<tr><td style="background:${BRAND.color};border-radius:8px 8px 0 0;padding:20px 32px;font-size:22px;font-weight:700;color:#ffffff;">${BRAND.name}</td></tr>
<tr><td style="padding:32px;">
<h1 style="margin:0 0 16px;font-size:20px;line-height:28px;color:${BRAND.ink};">${escapeHtml(content.heading)}</h1>
${content.paragraphs.map(paragraph).join('\n')}
${content.link ? `<p style="margin:8px 0 24px;"><a href="${escapeHtml(content.link.href)}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:${BRAND.color};color:#ffffff;font-weight:700;text-decoration:none;">${escapeHtml(content.link.label)}</a></p>` : ''}
${highlight}
${content.closing ? paragraph(content.closing) : ''}
<p style="margin:24px 0 0;font-size:16px;line-height:24px;color:${BRAND.ink};">— The StackPay team</p>
</td></tr>
<tr><td style="padding:16px 32px;border-top:1px solid #e4e7eb;font-size:12px;line-height:18px;color:${BRAND.muted};">${escapeHtml(BRAND.footer)}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}
