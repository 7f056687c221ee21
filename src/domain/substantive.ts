// Whether a customer message asks for something, or only says thanks. "Thanks!" after an answer is courtesy, not
// a new request: restarting the next-response clock on it would page people for nothing. Heed's customers write
// in many languages, so the classifier knows courtesy phrases in several, and emoji.
//
// A message is courtesy only when all of its own text (quoted history, signatures and "Sent from my phone" lines
// left out) is made of courtesy phrases and the small words that go with them ("thanks for the quick help"), or
// of emoji alone — and it asks nothing (no "?") and is short. Everything else is substantive: missing a real
// question is worse than an extra nudge, so whatever the classifier cannot account for counts.

export interface TCourtesySettings {
  /** Own text longer than this (characters) is never courtesy only: a long message says more than thanks. */
  readonly maxLength: number;
  /** More courtesy phrases, any language, added to the built-in ones (matched whole, case-insensitively). */
  readonly phrases: readonly string[];
  /** A message of emoji alone ("👍", "🙏🙏") is courtesy. */
  readonly emojiOnly: boolean;
  /** A blunter rule kept from earlier versions: own text shorter than this is courtesy whatever it says (0: off). */
  readonly minLength: number;
}

export const DEFAULT_COURTESY: TCourtesySettings = Object.freeze({
  maxLength: 120,
  phrases: Object.freeze([]) as readonly string[],
  emojiOnly: true,
  minLength: 0,
});

/** Settings with the defaults for what is not given. */
export function courtesySettings(partial: Partial<TCourtesySettings> = {}): TCourtesySettings {
  return { ...DEFAULT_COURTESY, ...partial };
}

// Courtesy phrases: thanks, acknowledgements, sign-offs. Matched as whole words (as whole strings in scripts
// written without spaces), longest first.
const BUILT_IN_PHRASES: readonly string[] = [
  // English
  'thanks',
  'thank you',
  'thank u',
  'thankyou',
  'thanks a lot',
  'thanks so much',
  'thank you so much',
  'thank you very much',
  'many thanks',
  'thanks in advance',
  'thank you in advance',
  'thx',
  'thnx',
  'tnx',
  'ty',
  'tyvm',
  'cheers',
  'appreciated',
  'much appreciated',
  'appreciate it',
  'great',
  'perfect',
  'awesome',
  'brilliant',
  'excellent',
  'wonderful',
  'fantastic',
  'amazing',
  'lovely',
  'nice',
  'cool',
  'super',
  'ok',
  'okay',
  'okey',
  'k',
  'kk',
  'got it',
  'noted',
  'understood',
  'will do',
  'sounds good',
  'all good',
  'all set',
  'solved',
  'fixed',
  'resolved',
  'sorted',
  'that helps',
  'that helped',
  'that works',
  'that worked',
  'it works',
  'works now',
  'problem solved',
  'no worries',
  'no problem',
  'np',
  'have a nice day',
  'have a great day',
  'have a good one',
  'regards',
  'kind regards',
  'best regards',
  'bye',
  // German
  'danke',
  'danke schön',
  'dankeschön',
  'danke sehr',
  'vielen dank',
  'besten dank',
  'herzlichen dank',
  'tausend dank',
  'danke im voraus',
  'prima',
  'perfekt',
  'passt',
  'alles klar',
  'toll',
  'klasse',
  'lg',
  'mfg',
  // French
  'merci',
  'merci beaucoup',
  'merci bien',
  'mille mercis',
  "merci d'avance",
  'parfait',
  'génial',
  "d'accord",
  'top',
  'cordialement',
  // Spanish
  'gracias',
  'muchas gracias',
  'mil gracias',
  'gracias de antemano',
  'perfecto',
  'genial',
  'vale',
  'de acuerdo',
  // Portuguese
  'obrigado',
  'obrigada',
  'muito obrigado',
  'muito obrigada',
  'obrigado desde já',
  'valeu',
  'perfeito',
  'ótimo',
  'beleza',
  // Italian
  'grazie',
  'grazie mille',
  'perfetto',
  'ottimo',
  'va bene',
  // Dutch
  'dank je',
  'dank je wel',
  'dank u',
  'dank u wel',
  'bedankt',
  'hartelijk dank',
  // Nordic, Finnish, Polish, Czech, Hungarian, Romanian, Turkish, Greek
  'tack',
  'tack så mycket',
  'tak',
  'mange tak',
  'takk',
  'kiitos',
  'dziękuję',
  'dzięki',
  'děkuji',
  'díky',
  'köszönöm',
  'mulțumesc',
  'teşekkürler',
  'teşekkür ederim',
  'tesekkurler',
  'ευχαριστώ',
  // Russian, Ukrainian
  'спасибо',
  'большое спасибо',
  'спасибо большое',
  'благодарю',
  'отлично',
  'хорошо',
  'понятно',
  'ок',
  'дякую',
  'щиро дякую',
  // Hebrew, Arabic, Hindi, Indonesian/Malay, Vietnamese, Korean
  'תודה',
  'תודה רבה',
  'شكرا',
  'شكراً',
  'شكرا جزيلا',
  'धन्यवाद',
  'शुक्रिया',
  'terima kasih',
  'cảm ơn',
  '감사합니다',
  '고맙습니다',
  // Japanese, Chinese, Thai (no spaces between words: matched as strings)
  'ありがとう',
  'ありがとうございます',
  'ありがとうございました',
  'どうもありがとう',
  '了解',
  '了解しました',
  '承知しました',
  '谢谢',
  '谢谢你',
  '多谢',
  '感谢',
  '非常感谢',
  '好的',
  'ขอบคุณ',
  'ขอบคุณครับ',
  'ขอบคุณค่ะ',
  // Emoticons
  ':)',
  ':-)',
  ':d',
  ';)',
  '<3',
  '^^',
];

// Small words that go with a courtesy phrase ("thank you so much for the quick help, have a great weekend").
// They count only next to a phrase: "for the help" alone is not a thank-you. Words that change the meaning
// ("not", "still", "but", "again broken") are deliberately absent.
const FILLERS = new Set(
  [
    // English
    'for the your you so much very a lot all again quick fast help reply response answer support have great nice good',
    'day weekend evening and it this that now works worked working fine really indeed guys team everyone folks i we',
    'me us will do sir madam dear kind best regards hi hello hey everything is its s t m d ll re ve once more too',
    'helps helped',
    // German
    'für die der das ihre eure deine schnelle hilfe antwort und sehr nochmal noch mal euch ihnen dir es funktioniert',
    'jetzt wieder alles gut tag schönen ein einen liebe grüße gruß gruss viele beste mit freundlichen hallo',
    // French
    'pour votre ton ta vos aide la le les et très encore vous toi rapide réponse bonne journée soirée ça ca marche',
    'fonctionne maintenant tout est bon bien bonjour salut à de du',
    // Spanish, Portuguese, Italian
    'por su tu ayuda el y muy nuevo rápida respuesta buen día todo funciona ahora ya hola un saludo saludos pela sua',
    'e o a muito novo tudo bem agora já olá oi bom dia per il tuo vostro aiuto molto di bene ora adesso ciao buona',
    'giornata',
    // Dutch
    'voor het je jullie hulp en heel erg weer goed werkt nu hoi hallo fijne dag',
    // Russian, Ukrainian
    'за вашу твою помощь и очень всё все работает теперь сейчас привет здравствуйте вам тебе вы огромное хорошего дня',
    'допомогу дуже',
  ]
    .join(' ')
    .split(' '),
);

const NO_SPACE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const QUESTION = /[?？¿؟]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const WORD_SPLIT = /[^\p{L}\p{N}]+/u;
// Where a reply's own text ends: a signature delimiter, a quoted-message header, a mobile footer.
const SIGNATURE = /^(--\s*|—\s*|__+\s*)$/;
const REPLY_HEADER =
  /^(on .+ wrote:|am .+ schrieb .+:|le .+ a écrit\s?:|el .+ escribió:|-+\s*original message\s*-+|from: .+)$/i;
const MOBILE_FOOTER = /^(sent from my |envoyé de mon |von meinem .+ gesendet|enviado desde mi )/i;

const normalize = (text: string) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/\s+/g, ' ');

/** A message's own words: quoted lines, and everything from a signature or a quoted reply's header on, left out. */
export function ownText(text: string): string {
  const lines: string[] = [];
  for (const raw of text.split(/\r\n|[\r\n\u2028\u2029]/)) {
    const line = raw.trim();
    if (SIGNATURE.test(line) || REPLY_HEADER.test(line)) break;
    if (line.startsWith('>') || MOBILE_FOOTER.test(line)) continue;
    lines.push(line);
  }
  return lines.join(' ').replace(/\s+/g, ' ').trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function phrasePattern(phrases: readonly string[]): RegExp {
  const unique = [...new Set(phrases.map((p) => normalize(p).trim()).filter(Boolean))].sort(
    (a, b) => b.length - a.length,
  );
  const alternatives = unique.map((p) =>
    NO_SPACE_SCRIPT.test(p) ? escapeRegExp(p) : `(?<![\\p{L}\\p{N}])${escapeRegExp(p)}(?![\\p{L}\\p{N}])`,
  );
  return new RegExp(alternatives.join('|'), 'gu');
}

export interface CourtesyClassifier {
  readonly settings: TCourtesySettings;
  /** True when the text is known and says nothing but thanks (see the top of this file). */
  isCourtesy(text: string | null): boolean;
  /** The opposite; unknown text (null) is substantive: without it Heed cannot tell. */
  isSubstantive(text: string | null): boolean;
}

/** Compiles the settings once (the phrase pattern is built here): evaluations classify thousands of messages. */
export function createCourtesyClassifier(settings: TCourtesySettings = DEFAULT_COURTESY): CourtesyClassifier {
  const pattern = phrasePattern([...BUILT_IN_PHRASES, ...settings.phrases]);
  const isCourtesy = (text: string | null): boolean => {
    if (text === null) return false;
    const own = ownText(text);
    // An empty message (an attachment alone, a forwarded quote) may well be a request: it counts.
    if (own.length === 0) return false;
    if (own.length < settings.minLength) return true;
    if (own.length > settings.maxLength || QUESTION.test(own)) return false;
    const normalized = normalize(own);
    let matched = false;
    const rest = normalized.replace(pattern, () => {
      matched = true;
      return ' ';
    });
    if (!LETTER_OR_DIGIT.test(rest)) {
      if (matched) return true;
      // Emoji alone; bare punctuation ("...") is not a thank-you.
      return settings.emojiOnly && PICTOGRAPH.test(rest);
    }
    if (!matched) return false;
    return rest.split(WORD_SPLIT).every((word) => word === '' || FILLERS.has(word));
  };
  return { settings, isCourtesy, isSubstantive: (text) => !isCourtesy(text) };
}

const compiled = new WeakMap<TCourtesySettings, CourtesyClassifier>();

/** The classifier for these settings, compiled once per settings object. */
export function classifierFor(settings: TCourtesySettings): CourtesyClassifier {
  let classifier = compiled.get(settings);
  if (!classifier) {
    classifier = createCourtesyClassifier(settings);
    compiled.set(settings, classifier);
  }
  return classifier;
}

/**
 * A message is substantive unless its text is known and courtesy only. `settings` may be the old minimum length
 * alone (a shorter message is courtesy).
 */
export function isSubstantive(text: string | null, settings: TCourtesySettings | number = DEFAULT_COURTESY): boolean {
  const resolved = typeof settings === 'number' ? minLengthSettings(settings) : settings;
  return classifierFor(resolved).isSubstantive(text);
}

const byMinLength = new Map<number, TCourtesySettings>();
function minLengthSettings(minLength: number): TCourtesySettings {
  let settings = byMinLength.get(minLength);
  if (!settings) {
    settings = courtesySettings({ minLength });
    byMinLength.set(minLength, settings);
  }
  return settings;
}
