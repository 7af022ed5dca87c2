/**
 * Cloudflare's `send_email` binding as a MailProvider (MAIL_PROVIDER=send_email).
 *
 * The binding is optional in src/env.ts and deliberately not declared in wrangler.toml: sending to
 * arbitrary recipients needs Cloudflare's paid Email Service on a verified sending domain, and locally
 * wrangler (miniflare) only parses the message and saves it to a temporary .eml file, it delivers
 * nothing. Mailgun, the default, works the same locally (sandbox) and in production. To use it, add
 *   [[send_email]]
 *   name = "SEND_EMAIL"
 * set MAIL_PROVIDER = "send_email", and make MAIL_FROM an address on the verified domain.
 */
import { EmailMessage } from 'cloudflare:email';
import { EMAIL_KEY_HEADER } from './mailgun';
import { buildMimeMessage } from './mime';
import type { MailProvider, OutgoingMail } from './provider';
import { addressOf, normalizeMessageId, permanentMailError, retryableMailError } from './provider';

// The binding's refusals that no retry can fix, e.g. "destination address is not a verified address",
// "email from x not allowed", "could not parse email": sender, destination or message rejected.
const PERMANENT_FAILURE =
  /\bnot (a )?(verified|allowed|permitted)\b|unverified|invalid|malformed|could not parse|forbidden|unauthori[sz]ed/i;

export function createSendEmailProvider(binding: SendEmail): MailProvider {
  return {
    name: 'send_email',
    async send(mail: OutgoingMail) {
      const from = addressOf(mail.from);
      const domain = from.split('@')[1] ?? 'stackpay.invalid';
      const messageId = `<${crypto.randomUUID()}@${domain}>`;
      const raw = buildMimeMessage(mail, {
        messageId,
        date: new Date(),
        headers: { [EMAIL_KEY_HEADER]: mail.idempotencyKey },
      });
      try {
        const result = await binding.send(new EmailMessage(from, addressOf(mail.to), raw));
        return { messageId: normalizeMessageId(result?.messageId || messageId) };
      } catch (err) {
        const reason =
          err instanceof Error ? err.message.replace(/\s+/g, ' ').slice(0, 200) : 'unknown error';
        throw PERMANENT_FAILURE.test(reason)
          ? permanentMailError(`send_email: ${reason}`, undefined, err)
          : retryableMailError(`send_email: ${reason}`, undefined, err);
      }
    },
  };
}
