// Reading HubSpot's JSON. Customer-written text can hold U+0000 (pasted from a binary file, a broken mail
// client), which JSON carries as the escape `\u0000`; PostgreSQL's text type cannot store it and refuses the whole
// write, so one such note or subject would stop a sync page on PostgreSQL while SQLite took it. The character
// carries nothing a person reads, so it is dropped here, before any row is built, for every database alike.

/**
 * A `\u0000` escape: after an even run of backslashes (`\\u0000` is a backslash and "u0000"), the run starting
 * where no backslash precedes it, so adjacent escapes all match.
 */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** JSON.parse, without U+0000 in any string. Free when the text has none (one substring search). */
export function parseHubspotJson(text: string): unknown {
  if (!text.includes('\\u0000')) return JSON.parse(text);
  return JSON.parse(text.replace(ESCAPED_NUL, '$1'));
}
