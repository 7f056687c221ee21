import { describe, expect, it } from 'vitest';
import { courtesySettings, createCourtesyClassifier, isSubstantive, ownText } from '../../src/domain/substantive.ts';

describe('isSubstantive with the old minimum length', () => {
  it.each<[string | null, number, boolean]>([
    [null, 20, true],
    ['Thanks!', 0, false],
    ['Thank you so much, that works now 👍', 0, false],
    ['Vielen Dank!', 0, false],
    ['ok', 0, false],
    ['Still broken', 20, false],
    ['Still broken', 5, true],
    ['Thanks, but the invoice still shows the wrong amount.', 20, true],
    ['Thanks a lot!\n> On Monday you wrote:\n> please send the logs of the failing import job', 0, false],
    ['The export fails again since this morning, see attached.', 20, true],
  ])('%j with minimum %d → %s', (text, min, expected) => {
    expect(isSubstantive(text, min)).toBe(expected);
  });
});

describe('the courtesy classifier (defaults)', () => {
  const classifier = createCourtesyClassifier();
  it.each<[string, boolean]>([
    // Thanks in many languages: courtesy.
    ['Thanks!', true],
    ['thank you', true],
    ['Thank you so much for the quick help, have a great weekend!', true],
    ['Many thanks, that helped.', true],
    ['Thanks in advance!', true],
    ['Merci d’avance', true],
    ['cheers', true],
    ['ok', true],
    ['OK 👍', true],
    ['Got it, thanks', true],
    ['спасибо', true],
    ['Спасибо большое!', true],
    ['danke', true],
    ['Danke schön, funktioniert jetzt!', true],
    ['merci', true],
    ['Merci beaucoup pour votre aide', true],
    ['gracias', true],
    ['¡Muchas gracias!', true],
    ['obrigado', true],
    ['Muito obrigada!', true],
    ['grazie mille', true],
    ['bedankt', true],
    ['dziękuję', true],
    ['tack så mycket', true],
    ['ありがとう', true],
    ['ありがとうございます！', true],
    ['谢谢', true],
    ['감사합니다', true],
    ['شكرا', true],
    ['תודה רבה', true],
    ['terima kasih', true],
    ['👍', true],
    ['🙏🙏', true],
    ['👍🏽', true],
    [':)', true],
    ['Thanks!\n\n--\nMaria Schmidt\nAcme GmbH\n+49 30 1234567', true],
    ['Thanks!\nSent from my iPhone', true],
    ['Thanks a lot!\n\nOn Mon, 23 Nov 2026 at 10:02, Support <help@example.com> wrote:\n> We fixed it', true],
    // Requests, complaints, questions: substantive.
    ['It still fails.', false],
    ['Still broken', false],
    ['Thanks, but the export still fails', false],
    ['thanks, not working', false],
    ['Thanks! Any update?', false],
    ['ok?', false],
    ['??', false],
    ['¿Y ahora?', false],
    ['Спасибо, но ошибка осталась', false],
    ['Danke, aber es geht immer noch nicht', false],
    ['本当にありがとうございます、でもまだエラーが出ます', false],
    ['yes', false],
    ['no', false],
    ['Please cancel my subscription', false],
    ['...', false],
    ['', false],
    ['> only a quoted line', false],
    [`Thanks ${'so much '.repeat(20)}`, false],
    ['Thanks, Maria', false],
  ])('%j → courtesy %s', (text, courtesy) => {
    expect(classifier.isCourtesy(text)).toBe(courtesy);
    expect(classifier.isSubstantive(text)).toBe(!courtesy);
  });

  it('unknown text is substantive: Heed cannot tell', () => {
    expect(classifier.isSubstantive(null)).toBe(true);
  });
});

describe('the courtesy classifier, configured', () => {
  it.each<[Partial<Parameters<typeof courtesySettings>[0]>, string, boolean]>([
    // A phrase the team's customers use, added in the policy file.
    [{ phrases: ['tak for hjælpen'] }, 'Tak for hjælpen!', true],
    [{}, 'Tak for hjælpen!', false],
    [{ phrases: ['muito agradecido'] }, 'Muito agradecido 🙏', true],
    // Emoji alone counts only while emojiOnly is on.
    [{ emojiOnly: false }, '👍', false],
    [{ emojiOnly: true }, '👍', true],
    // maxLength bounds how long a thank-you may be.
    [{ maxLength: 10 }, 'Thank you so much!', false],
    [{ maxLength: 30 }, 'Thank you so much!', true],
    // The old blunt rule: shorter than minLength is courtesy whatever it says.
    [{ minLength: 20 }, 'It still fails.', true],
    [{ minLength: 0 }, 'It still fails.', false],
  ])('%j: %j → courtesy %s', (settings, text, courtesy) => {
    expect(createCourtesyClassifier(courtesySettings(settings)).isCourtesy(text)).toBe(courtesy);
  });
});

describe('ownText', () => {
  it.each<[string, string]>([
    ['Hi,\n\nthe export fails.\n\n-- \nMaria', 'Hi, the export fails.'],
    ['Works now!\n> earlier text\n> more', 'Works now!'],
    ['Danke!\n\nAm 23.11.2026 um 10:02 schrieb Support:\n> Erledigt', 'Danke!'],
    ['Merci\nEnvoyé de mon iPhone', 'Merci'],
  ])('%j → %j', (text, own) => {
    expect(ownText(text)).toBe(own);
  });
});
