/**
 * The account e-mails (docs/accounts.md §1): the reset e-mail carries the link (a button in HTML, the bare
 * URL in text) and the code; the password-changed notice tells the user what to do if it was not them.
 * Both are valid queue messages, and a token of the wrong shape is refused before it reaches the queue.
 */
import { describe, expect, it } from 'vitest';
import { NotificationMessage } from '../../src/notifications/messages';
import { renderEmail } from '../../src/notifications/templates';

const TOKEN = 'Abc_def-0123456789abcdefghijklmnopqrstuvwxy';
const reset = {
  type: 'password_reset' as const,
  idempotency_key: 'password-reset:1:1',
  to: 'amira@example.com',
  user_id: 1,
  username: '<amira>',
  reset_url: `https://pay.example.com/reset-password#token=${TOKEN}`,
  token: TOKEN,
  valid_minutes: 30,
};

describe('password-reset e-mail', () => {
  it('links to the reset page and gives the code, in both parts, escaped in HTML', () => {
    expect(NotificationMessage.parse(reset)).toEqual(reset);
    const mail = renderEmail(reset);
    expect(mail.subject).toBe('Reset your password');
    expect(mail.text).toContain(`Choose a new password: ${reset.reset_url}`);
    expect(mail.text).toContain(TOKEN);
    expect(mail.text).toContain('30 minutes');
    expect(mail.html).toContain(`href="${reset.reset_url}"`);
    expect(mail.html).toContain('&lt;amira&gt;');
    expect(mail.html).not.toContain('<amira>');
  });

  it('is refused on the queue with a token of the wrong shape or a non-URL link', () => {
    expect(NotificationMessage.safeParse({ ...reset, token: 'short' }).success).toBe(false);
    expect(NotificationMessage.safeParse({ ...reset, reset_url: 'not a url' }).success).toBe(false);
  });
});

describe('password-changed e-mail', () => {
  it('says the password changed and what to do if it was not the user', () => {
    const message = {
      type: 'password_changed' as const,
      idempotency_key: 'password-changed:1:1',
      to: 'amira@example.com',
      user_id: 1,
      username: 'amira',
    };
    expect(NotificationMessage.parse(message)).toEqual(message);
    const mail = renderEmail(message);
    expect(mail.subject).toBe('Your password was changed');
    expect(mail.text).toContain('If you did not do this, reset your password');
    expect(mail.html).not.toContain('href=');
  });
});
