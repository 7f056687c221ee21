// Whether a customer message should restart the next-response clock. "Thanks!" after an answer is
// courtesy, not a new request: restarting the clock on it would page people for nothing.

// Words that make up a thank-you or acknowledgement when nothing else is said.
const COURTESY = new Set(
  (
    'thanks thank thankyou thx ty tyvm you so much very a lot many again all for the help your quick reply ' +
    'cheers great perfect awesome brilliant excellent wonderful fantastic nice cool ok okay k kk got it ' +
    'appreciated appreciate much works working now that helps helped solved fixed sorted resolved ' +
    'merci beaucoup danke vielen dank schön gracias muchas grazie mille hi hello hey thanks!'
  ).split(' '),
);

/**
 * A message is substantive unless its text is known and it is shorter than `minLength` characters, or it
 * consists only of courtesy words. Quoted lines ("> …") of an email reply are ignored.
 * Unknown text (null) counts as substantive: without the text Heed cannot tell, and missing a real question
 * is worse than an extra nudge.
 */
export function isSubstantive(text: string | null, minLength: number): boolean {
  if (text === null) return true;
  const own = text
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith('>'))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (own.length < minLength) return false;
  const words = own
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  return words.some((word) => !COURTESY.has(word));
}
