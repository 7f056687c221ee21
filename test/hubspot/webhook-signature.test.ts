import { describe, expect, it } from 'vitest';
import { checkSignatureV3, decodeSignedUri, signV3 } from '../../src/hubspot/webhook-signature.ts';

const SECRET = 'client-secret-for-tests';
const NOW = Date.parse('2026-11-20T12:00:00.000Z');
const URI = 'https://heed.example.com/hubspot/webhooks';
const BODY = '[{"eventId":1,"subscriptionType":"ticket.propertyChange","objectId":42}]';

describe('HubSpot v3 signatures', () => {
  it('matches HubSpot’s documented construction: base64 HMAC-SHA256 of method + URI + body + timestamp', () => {
    // Computed independently: printf 'POST<uri><body><ts>' | openssl dgst -sha256 -hmac <secret> -binary | base64
    expect(signV3('secret', 'POST', 'https://example.com/hook', '[]', '1700000000000')).toBe(
      '0/4DF+YUcmbqY3ggukl+oIJILQ/DMu3iavl4482uHT4=',
    );
  });

  const valid = signV3(SECRET, 'POST', URI, BODY, String(NOW));
  it.each([
    ['valid', { signature: valid, timestamp: String(NOW) }, { ok: true }],
    [
      'valid, 4 minutes old',
      { signature: signV3(SECRET, 'POST', URI, BODY, String(NOW - 240_000)), timestamp: String(NOW - 240_000) },
      { ok: true },
    ],
    [
      'wrong secret',
      { signature: signV3('other-secret', 'POST', URI, BODY, String(NOW)), timestamp: String(NOW) },
      { ok: false, reason: 'mismatch' },
    ],
    [
      'body changed',
      { signature: signV3(SECRET, 'POST', URI, `${BODY} `, String(NOW)), timestamp: String(NOW) },
      { ok: false, reason: 'mismatch' },
    ],
    [
      'timestamp changed after signing',
      { signature: valid, timestamp: String(NOW + 1) },
      { ok: false, reason: 'mismatch' },
    ],
    [
      'stale (6 minutes old)',
      { signature: signV3(SECRET, 'POST', URI, BODY, String(NOW - 360_000)), timestamp: String(NOW - 360_000) },
      { ok: false, reason: 'stale' },
    ],
    [
      'from the future (6 minutes ahead)',
      { signature: signV3(SECRET, 'POST', URI, BODY, String(NOW + 360_000)), timestamp: String(NOW + 360_000) },
      { ok: false, reason: 'stale' },
    ],
    [
      'truncated signature',
      { signature: valid.slice(0, 20), timestamp: String(NOW) },
      { ok: false, reason: 'mismatch' },
    ],
    ['no signature', { signature: undefined, timestamp: String(NOW) }, { ok: false, reason: 'missing' }],
    ['no timestamp', { signature: valid, timestamp: undefined }, { ok: false, reason: 'missing' }],
  ])('%s', (_name, headers, expected) => {
    expect(checkSignatureV3({ secret: SECRET, method: 'POST', uri: URI, rawBody: BODY, now: NOW, ...headers })).toEqual(
      expected,
    );
  });

  it('decodes the characters HubSpot decodes before signing', () => {
    expect(decodeSignedUri('https://h.example/hook%3Fa%3Db%2Cc%40d%20e')).toBe('https://h.example/hook?a%3Db,c@d%20e');
  });
});
