import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/webhooks/secrets';
import { webhookSignature } from '../../src/webhooks/signature';

// Outgoing deliveries are signed with WebCrypto (src/webhooks/signature.ts, docs/webhooks.md): the bytes must be
// the reference library's, which is what a merchant verifies with.
describe('webhookSignature signs as the standardwebhooks package does', () => {
  it('any secret, id, time and body (JSON, non-ASCII text)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.boolean(),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.date({
          min: new Date('2001-01-01T00:00:00Z'),
          max: new Date('2200-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.json()),
        async (bytes, prefixed, id, at, body) => {
          const secret = `${prefixed ? 'whsec_' : ''}${Buffer.from(bytes).toString('base64')}`;
          const signature = await webhookSignature(secret, id, at, body);
          expect(signature).toBe(new Webhook(secret).sign(id, at, body));
          const headers = {
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signature,
          };
          // verify checks the timestamp against now: only a current one can be verified end to end.
          if (Math.abs(at.getTime() - Date.now()) < 60_000) {
            expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('verifies with the merchant’s copy of a generated secret; the same secret twice uses its kept key', async () => {
    const secret = generateSecret();
    const now = new Date();
    const body = '{"id":"evt_1","type":"payment.succeeded","data":{"object":{"note":"é ✓"}}}';
    for (let i = 0; i < 2; i++) {
      const headers = {
        'webhook-id': 'evt_1',
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': await webhookSignature(secret, 'evt_1', now, body),
      };
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
    const other = generateSecret();
    expect(await webhookSignature(other, 'evt_1', now, body)).not.toBe(
      await webhookSignature(secret, 'evt_1', now, body),
    );
  });

  it('refuses a secret that is not base64 (as the package does)', async () => {
    await expect(webhookSignature('whsec_not base64!', 'evt_1', new Date(), '{}')).rejects.toThrow(
      'not base64',
    );
    expect(() => new Webhook('whsec_not base64!').sign('evt_1', new Date(), '{}')).toThrow();
  });
});
