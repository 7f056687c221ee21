import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { requestIdOf, withRequestId } from '../../src/ops/request-id.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it.each([
    ['abc-123', 'abc-123'],
    ['lb:1f2e/3d=+@.', 'lb:1f2e/3d=+@.'],
    [['first', 'second'], 'first'],
  ])('keeps an acceptable incoming X-Request-Id %o', (header, expected) => {
    expect(requestIdOf({ headers: { 'x-request-id': header } })).toBe(expected);
  });

  it.each([[undefined], [''], ['has space'], ['line\nbreak'], ['x'.repeat(129)], ['"quoted"']])(
    'makes a new id instead of %o',
    (header) => {
      expect(requestIdOf({ headers: header === undefined ? {} : { 'x-request-id': header } })).toMatch(UUID);
    },
  );

  it('puts the id, method and path (without the query) on every line, and echoes it in the response', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const set: Record<string, string> = {};
    const res = {
      headersSent: false,
      setHeader: (name: string, value: string) => {
        set[name] = value;
      },
    };
    const log = withRequestId(logger, { headers: {}, method: 'GET', url: '/readyz?token=abc' }, res as never);
    log.info('one');
    log.warn({ extra: 1 }, 'two');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toHaveLength(2);
    const id = set['x-request-id'];
    expect(id).toMatch(UUID);
    for (const line of parsed) expect(line).toMatchObject({ requestId: id, method: 'GET', path: '/readyz' });
    expect(lines.join('')).not.toContain('token=abc');
  });
});
