import { describe, expect, it } from 'vitest';
import { buildMimeMessage, encodeHeaderText } from '../../src/mail/mime';

const mail = {
  from: 'StackPay <no-reply@stackpay.app>',
  to: 'ada@example.com',
  subject: 'Verify your email',
  text: 'Hi ada,\n\nYour code: 482913',
  html: '<p>Hi ada,</p><p>Your code: <b>482913</b></p>',
  idempotencyKey: 'verification:7:1',
};
const options = { messageId: '<abc@stackpay.app>', date: new Date('2026-11-26T10:00:00Z') };

function split(raw: string) {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  return { head, body: rest.join('\r\n\r\n') };
}

function header(head: string, name: string): string | undefined {
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  return unfolded
    .split('\r\n')
    .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    ?.slice(name.length + 1)
    .trim();
}

function parts(raw: string): Array<{ type: string; content: string }> {
  const boundary = /boundary="([^"]+)"/.exec(raw)?.[1];
  if (!boundary) throw new Error('no boundary');
  return raw
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const { head, body } = split(part.replace(/^\r\n/, ''));
      const content = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
      return { type: header(head, 'Content-Type') ?? '', content };
    });
}

describe('MIME message for the send_email binding', () => {
  it('has the envelope headers, a Message-ID and MIME-Version', () => {
    const { head } = split(buildMimeMessage(mail, { ...options, headers: { 'X-StackPay-Email-Key': 'k1' } }));
    expect(header(head, 'From')).toBe('"StackPay" <no-reply@stackpay.app>');
    expect(header(head, 'To')).toBe('ada@example.com');
    expect(header(head, 'Subject')).toBe('Verify your email');
    expect(header(head, 'Message-ID')).toBe('<abc@stackpay.app>');
    expect(header(head, 'MIME-Version')).toBe('1.0');
    expect(header(head, 'Date')).toBe('Thu, 26 Nov 2026 10:00:00 +0000');
    expect(header(head, 'X-StackPay-Email-Key')).toBe('k1');
    expect(header(head, 'Content-Type')).toMatch(/^multipart\/alternative; boundary="/);
  });

  it('carries the text part then the HTML part, base64 in UTF-8, with CRLF line ends', () => {
    const raw = buildMimeMessage({ ...mail, text: 'Grüße — مرحبا' }, options);
    expect(raw.replace(/\r\n/g, '')).not.toContain('\n');
    const [text, html] = parts(raw);
    expect(text).toEqual({ type: 'text/plain; charset=utf-8', content: 'Grüße — مرحبا' });
    expect(html).toEqual({ type: 'text/html; charset=utf-8', content: mail.html });
  });

  it('keeps base64 lines within 76 characters', () => {
    const raw = buildMimeMessage({ ...mail, html: 'x'.repeat(5000) }, options);
    const longest = Math.max(...raw.split('\r\n').map((line) => line.length));
    expect(longest).toBeLessThanOrEqual(998);
    const bodyLines = raw.split('\r\n').filter((line) => /^[A-Za-z0-9+/=]{60,}$/.test(line));
    expect(bodyLines.length).toBeGreaterThan(10);
    for (const line of bodyLines) expect(line.length).toBeLessThanOrEqual(76);
  });

  it('encodes a non-ASCII subject as RFC 2047 words that decode back', () => {
    const subject = 'Paiement reçu — تم الدفع بنجاح، شكراً لاستخدامك ستاك باي';
    const encoded = encodeHeaderText(subject);
    const words = encoded.split('\r\n ');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
    const decoded = words
      .map((w) => Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(w)?.[1] ?? '', 'base64').toString('utf8'))
      .join('');
    expect(decoded).toBe(subject);
  });

  it('cannot be given extra headers through the subject or recipient', () => {
    const raw = buildMimeMessage(
      { ...mail, subject: 'Hi\r\nBcc: victim@example.com', to: 'ada@example.com\r\nBcc: x@example.com' },
      options,
    );
    const { head } = split(raw);
    expect(head.split('\r\n').some((line) => line.toLowerCase().startsWith('bcc:'))).toBe(false);
  });
});
