import { toBase64 } from '../lib/crypto';
import { addressOf, type OutgoingMail } from './provider';

// RFC 2045: base64 lines are at most 76 characters.
const BASE64_LINE = 76;
// RFC 2047 caps an encoded word at 75 characters; 36 bytes of UTF-8 become 48 base64 characters.
const ENCODED_WORD_BYTES = 36;

const encoder = new TextEncoder();

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join('\r\n');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach a header
const CONTROL = /[\u0000-\u001f\u007f]+/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A header value on one line; CR/LF from any input would let it add headers of its own. */
function headerSafe(value: string): string {
  return value.replace(CONTROL, ' ').trim();
}

/** RFC 2047 encoded words (UTF-8, base64), split on code points so no character is cut in half. */
export function encodeHeaderText(value: string): string {
  const clean = headerSafe(value);
  if (PRINTABLE_ASCII.test(clean)) return clean;
  const words: string[] = [];
  let chunk = '';
  for (const char of clean) {
    if (encoder.encode(chunk + char).length > ENCODED_WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${toBase64(encoder.encode(word))}?=`).join('\r\n ');
}

/** `Name <addr>` with a non-ASCII display name encoded; a bare address is kept as it is. */
function encodeMailbox(mailbox: string): string {
  const address = headerSafe(addressOf(mailbox));
  const name = headerSafe(mailbox.replace(/<[^<>]*>\s*$/, '')).replace(/^"(.*)"$/, '$1');
  if (!name || name === address) return address;
  const displayName = PRINTABLE_ASCII.test(name)
    ? `"${name.replace(/["\\]/g, '\\$&')}"`
    : encodeHeaderText(name);
  return `${displayName} <${address}>`;
}

function bodyPart(contentType: string, content: string): string {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    '',
    wrap(toBase64(encoder.encode(content)), BASE64_LINE),
  ].join('\r\n');
}

export interface MimeOptions {
  /** With angle brackets, e.g. `<uuid@stackpay.app>`. */
  messageId: string;
  date: Date;
  /** Extra headers (ASCII names); values are made single-line. */
  headers?: Record<string, string>;
}

/**
 * An RFC 5322 message, multipart/alternative with the plain-text part first (the least preferred) and the
 * HTML part last, both base64 so any UTF-8 content and long lines travel unchanged.
 */
export function buildMimeMessage(mail: OutgoingMail, options: MimeOptions): string {
  const boundary = `stackpay-${crypto.randomUUID()}`;
  const headers = [
    `From: ${encodeMailbox(mail.from)}`,
    `To: ${encodeMailbox(mail.to)}`,
    `Subject: ${encodeHeaderText(mail.subject)}`,
    `Date: ${options.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${headerSafe(options.messageId)}`,
    'MIME-Version: 1.0',
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${headerSafe(value)}`),
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  return [
    ...headers,
    '',
    `--${boundary}`,
    bodyPart('text/plain', mail.text),
    `--${boundary}`,
    bodyPart('text/html', mail.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
