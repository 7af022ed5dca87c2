/**
 * Secrets for the test Worker: fixed, obviously fake values, used nowhere else. The PayMob HMAC secret is
 * deliberately not docs/design.md's published test secret (that one is only a test vector).
 */
export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
  PAYMOB_API_KEY: 'test-paymob-api-key',
  PAYMOB_SECRET_KEY: 'egy_sk_test_stackpay',
  PAYMOB_PUBLIC_KEY: 'egy_pk_test_stackpay',
  PAYMOB_HMAC_SECRET: 'TESTHMACSECRET0123456789ABCDEF01',
  PAYMOB_INTEGRATION_ID: '4097558',
  /** A KSA and an Oman card integration on the sandbox, for the per-region runs (docs/paymob.md §1). */
  PAYMOB_INTEGRATION_ID_SA: '4097560',
  PAYMOB_INTEGRATION_ID_OM: '4097561',
  /** A wallet, a kiosk and a valU integration of the EG account (docs/paymob.md §8). */
  PAYMOB_INTEGRATION_ID_WALLET: '4097570',
  PAYMOB_INTEGRATION_ID_KIOSK: '4097571',
  PAYMOB_INTEGRATION_ID_VALU: '4097572',
  PAYMOB_IFRAME_ID: '812345',
  MAILGUN_API_KEY: 'test-mailgun-key',
  MAILGUN_DOMAIN: 'mg.stackpay.test',
  MAILGUN_WEBHOOK_SIGNING_KEY: 'test-mailgun-webhook-signing-key',
  /** 32 bytes, base64: the TOTP secrets' encryption key (docs/accounts.md §2). */
  ADMIN_TOTP_KEY: 'dGVzdC10b3RwLWtleS0zMi1ieXRlcy1vZi10ZXN0ISE=',
  /** 32 bytes, base64: the saved-card tokens' encryption key (docs/security.md §7). */
  CARD_TOKEN_KEY: 'dGVzdC1jYXJkLXRva2VuLWtleS0zMi1ieXRlcy10c3Q=',
  /** Signs the return to the shop (docs/api.md §4.9); no origin is allowed unless a test sets one. */
  RETURN_URL_SIGNING_SECRET: 'test-return-url-signing-secret-0123456789abcdef',
} as const;
