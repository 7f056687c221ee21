import nock from 'nock';
import { afterEach, beforeAll } from 'vitest';

// Vendors are mocked at the HTTP edge only; everything else off this machine is refused.
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
});

afterEach(() => {
  nock.cleanAll();
});
