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

interface Content {
  subject: string;
  /** Hidden preview line most mail clients show next to the subject. */
  preheader: string;
  heading: string;
  /** Paragraphs as plain text; rendered escaped in HTML and as-is in text. */
  paragraphs: string[];
  /** A value to stand out (the code, the amount), shown large in HTML and on its own line in text. */
  highlight?: string;
  closing?: string;
}

/**
 * What each e-mail says: the fields the templates read. mail/ sits below notifications/, so this type lives
 * here and the queue messages (notifications/messages.ts, docs/api.md §6) satisfy it structurally — the
 * type checker compares the two where notifications/ calls `renderEmail`.
 */
export type EmailContent =
  | { type: 'verification_code'; username: string; code: string; valid_minutes: number }
  | {
      type: 'transaction_status';
      username: string;
      merchant_order_id: string;
      status: string;
      amount: string;
      currency: string;
      failure_reason: string | null;
    }
  | { type: 'kyc_review'; username: string; status: 'approved' | 'rejected'; reason: string | null }
  | { type: 'webhook_endpoint_disabled'; username: string; endpoint_id: string; url: string };

export function renderEmail(message: EmailContent): RenderedEmail {
  const content = contentFor(message);
  return { subject: oneLine(content.subject), text: renderText(content), html: renderHtml(content) };
}

function contentFor(message: EmailContent): Content {
  switch (message.type) {
    case 'verification_code':
      return {
        subject: 'Verify your email',
        preheader: `Your StackPay verification code, valid for ${message.valid_minutes} minutes.`,
        heading: `Hi ${message.username},`,
        paragraphs: [
          'Welcome to StackPay. Enter this code to verify your email address and activate your account:',
        ],
        highlight: message.code,
        closing: `The code is valid for ${message.valid_minutes} minutes. If you did not sign up for StackPay, you can ignore this email.`,
      };
    case 'transaction_status': {
      const outcome = TRANSACTION_OUTCOMES[message.status] ?? {
        title: `Payment ${message.status}`,
        sentence: `The status of your payment is now "${message.status}".`,
      };
      const paragraphs = [outcome.sentence, `Order reference: ${message.merchant_order_id}`];
      if (message.failure_reason) paragraphs.push(`Reason: ${message.failure_reason}`);
      return {
        subject: `${outcome.title}: ${message.amount} ${message.currency} (${message.merchant_order_id})`,
        preheader: `${outcome.title}: ${message.amount} ${message.currency}`,
        heading: `Hi ${message.username},`,
        paragraphs,
        highlight: `${message.amount} ${message.currency}`,
        closing: 'You can see every payment and its status in your StackPay account.',
      };
    }
    case 'kyc_review':
      if (message.status === 'approved') {
        return {
          subject: 'Your identity documents were approved',
          preheader: 'Your identity verification is complete.',
          heading: `Hi ${message.username},`,
          paragraphs: ['Good news: we reviewed your identity documents and approved them.'],
          closing: 'You can now make payments with StackPay.',
        };
      }
      return {
        subject: 'Your identity documents need attention',
        preheader: 'We could not approve your identity documents.',
        heading: `Hi ${message.username},`,
        paragraphs: [
          'We reviewed your identity documents and could not approve them.',
          ...(message.reason ? [`Reason: ${message.reason}`] : []),
        ],
        closing:
          'Please upload corrected documents from your StackPay profile and we will review them again.',
      };
    case 'webhook_endpoint_disabled':
      return {
        subject: 'A webhook endpoint was disabled',
        preheader: 'Every delivery to a webhook endpoint failed for three days.',
        heading: `Hi ${message.username},`,
        paragraphs: [
          'Every delivery to this webhook endpoint failed for three days, so StackPay disabled it:',
          `${message.url} (${message.endpoint_id})`,
        ],
        closing: 'Fix the receiver, then enable the endpoint again (PATCH it with "enabled": true).',
      };
  }
}

const TRANSACTION_OUTCOMES: Record<string, { title: string; sentence: string }> = {
  pending: { title: 'Payment pending', sentence: 'Your payment is being processed.' },
  succeeded: { title: 'Payment received', sentence: 'Your payment was successful. Thank you.' },
  failed: {
    title: 'Payment failed',
    sentence: 'Your payment did not go through. You have not been charged.',
  },
  expired: { title: 'Payment expired', sentence: 'Your payment was not completed in time and has expired.' },
  refunded: { title: 'Payment refunded', sentence: 'Your payment has been refunded.' },
  partially_refunded: {
    title: 'Payment partly refunded',
    sentence: 'Part of your payment has been refunded. The rest of the payment stands.',
  },
  voided: { title: 'Payment cancelled', sentence: 'Your payment was cancelled before it was settled.' },
};

function renderText(content: Content): string {
  const lines = [content.heading, '', ...content.paragraphs.flatMap((p) => [p, ''])];
  if (content.highlight) lines.push(`    ${content.highlight}`, '');
  if (content.closing) lines.push(content.closing, '');
  lines.push('— The StackPay team', '', BRAND.footer);
  return `${lines.join('\n')}\n`;
}

// Table layout and inline styles only: many mail clients drop <style> blocks and ignore flexbox.
function renderHtml(content: Content): string {
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
