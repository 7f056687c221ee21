// HubSpot webhook signatures, v3: base64(HMAC-SHA256(clientSecret, method + uri + rawBody + timestamp)).
// Compared in constant time (the official client's Signature.isValid uses ===), and refused when the
// timestamp is more than five minutes away from now, so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

export function signV3(secret: string, method: string, uri: string, rawBody: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${uri}${rawBody}${timestamp}`, 'utf8').digest('base64');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

export function checkSignatureV3(input: {
  secret: string;
  method: string;
  /** The full URI HubSpot called, scheme and host included (as configured in the app's webhook settings). */
  uri: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  now: number;
}): SignatureCheck {
  if (!input.signature || !input.timestamp || !/^\d+$/.test(input.timestamp)) return { ok: false, reason: 'missing' };
  const age = input.now - Number(input.timestamp);
  if (Math.abs(age) > SIGNATURE_MAX_AGE_MS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signV3(input.secret, input.method, input.uri, input.rawBody, input.timestamp), 'base64');
  const given = Buffer.from(input.signature, 'base64');
  // timingSafeEqual needs equal lengths; a length mismatch is a mismatch (and reveals only the length).
  if (given.length !== expected.length) return { ok: false, reason: 'mismatch' };
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** HubSpot decodes some characters in the URI before signing; the v3 docs list these. */
export function decodeSignedUri(uri: string): string {
  const map: Record<string, string> = {
    '%3A': ':',
    '%2F': '/',
    '%3F': '?',
    '%40': '@',
    '%21': '!',
    '%24': '$',
    '%27': "'",
    '%28': '(',
    '%29': ')',
    '%2A': '*',
    '%2C': ',',
    '%3B': ';',
  };
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => map[m.toUpperCase()] ?? m);
}
