import { describe, expect, it } from 'vitest';
import { isUnavailable } from '../../src/adapters/db/sql.ts';

/** Database errors that mean "not now" (503, Twilio retries; a job retries) and those that are real errors. */
describe('isUnavailable', () => {
  const pg = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['55000 database not accepting connections', pg('55000', 'database "smsdesk" is not currently accepting connections'), true],
    ['55000 otherwise (a real error)', pg('55000', 'cannot execute nextval() in a read-only transaction'), false],
    ['57P01 admin shutdown', pg('57P01', 'terminating connection due to administrator command'), true],
    ['57P02 crash shutdown', pg('57P02'), true],
    ['57P03 cannot connect now (starting up)', pg('57P03', 'the database system is starting up'), true],
    ['53300 too many connections', pg('53300', 'sorry, too many clients already'), true],
    ['08006 connection failure', pg('08006'), true],
    ['08P01 protocol violation (class 08)', pg('08P01'), true],
    ['08004 server rejected the connection', pg('08004'), true],
    ['ECONNREFUSED', pg('ECONNREFUSED'), true],
    ['EHOSTUNREACH', pg('EHOSTUNREACH'), true],
    ['pool timeout', new Error('timeout exceeded when trying to connect'), true],
    ['23505 unique violation', pg('23505', 'duplicate key value violates unique constraint'), false],
    ['22P05 untranslatable character', pg('22P05'), false],
    ['42P01 undefined table', pg('42P01'), false],
    ['no error', null, false],
  ])('%s', (_name, err, want) => {
    expect(isUnavailable(err)).toBe(want);
  });
});
