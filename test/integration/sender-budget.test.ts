import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { SqlSenderBudget } from '../../src/adapters/db/sender-budget.ts';
import { parseSenderRates, senderRate } from '../../src/domain/sender-rates.ts';
import type { Sql } from '../../src/adapters/db/sql.ts';

const LONG_CODE = '+14155550199';
const OTHER = '+14155550188';

/** The database's clock: the booked slots are on it. */
const dbNow = async (sql: Sql) => (await sql.query<{ now: Date }>('SELECT clock_timestamp() AS now'))[0]!.now.getTime();
const times = (slots: Date[]) => slots.map((d) => d.getTime()).sort((a, b) => a - b);
const gaps = (ms: number[]) => ms.slice(1).map((t, i) => t - ms[i]!);

describe.each(backends)('sender budget on $name', (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.cleanup());

  /** One connection on PGlite; on PostgreSQL also three (as three instances would hold). */
  const connectionCounts = backend.name === 'postgres' ? [1, 3] : [1];

  // Rates low enough that the slots booked reach far past the time the reservations take on a busy machine:
  // a slow reservation must not find the previous slot already in the past (it would then start at now).
  it.each(connectionCounts)('books 30 concurrent reservations at rate 1 exactly 1 s apart, starting now (%i connections)', async (connections) => {
    db = await backend.open();
    const sqls = [db.sql];
    while (sqls.length < connections) sqls.push(await db.connectAgain!());
    const budgets = sqls.map((sql) => new SqlSenderBudget(sql));
    const before = await dbNow(db.sql);
    const slots = await Promise.all(Array.from({ length: 30 }, (_, i) => budgets[i % budgets.length]!.reserve(LONG_CODE, 1, 1)));
    const after = await dbNow(db.sql);
    const booked = times(slots);
    expect(new Set(booked).size).toBe(30);
    for (const gap of gaps(booked)) expect(Math.abs(gap - 1000)).toBeLessThanOrEqual(5);
    expect(booked[0]!).toBeGreaterThanOrEqual(before - 5);
    expect(booked[0]!).toBeLessThanOrEqual(after + 5);
    expect(booked.at(-1)! - booked[0]!).toBeGreaterThanOrEqual(29_000 - 5);
    // The next free instant is right after the last slot.
    const [row] = await db.sql.query<{ next_at: Date }>('SELECT next_at FROM sender_budgets WHERE sender = $1', [LONG_CODE]);
    expect(Math.abs(row!.next_at.getTime() - (booked.at(-1)! + 1000))).toBeLessThanOrEqual(5);
  });

  it('keeps senders apart: each starts now and runs at its own rate', async () => {
    db = await backend.open();
    const budget = new SqlSenderBudget(db.sql);
    const before = await dbNow(db.sql);
    const a: Promise<Date>[] = [];
    const b: Promise<Date>[] = [];
    for (let i = 0; i < 10; i++) {
      a.push(budget.reserve(LONG_CODE, 1, 1));
      b.push(budget.reserve(OTHER, 1, 0.2));
    }
    const [slotsA, slotsB] = [times(await Promise.all(a)), times(await Promise.all(b))];
    const after = await dbNow(db.sql);
    for (const slots of [slotsA, slotsB]) {
      expect(slots[0]!).toBeGreaterThanOrEqual(before - 5);
      expect(slots[0]!).toBeLessThanOrEqual(after + 5);
    }
    for (const gap of gaps(slotsA)) expect(Math.abs(gap - 1000)).toBeLessThanOrEqual(5);
    for (const gap of gaps(slotsB)) expect(Math.abs(gap - 5000)).toBeLessThanOrEqual(5);
  });

  it('weighs segments: a 3-segment message books three slots', async () => {
    db = await backend.open();
    const budget = new SqlSenderBudget(db.sql);
    const first = await budget.reserve(LONG_CODE, 1, 1);
    const long = await budget.reserve(LONG_CODE, 3, 1);
    const next = await budget.reserve(LONG_CODE, 1, 1);
    expect(long.getTime() - first.getTime()).toBe(1000);
    expect(next.getTime() - long.getTime()).toBe(3000);
  });

  it('does not save up an idle sender\'s budget for a burst', async () => {
    db = await backend.open();
    const budget = new SqlSenderBudget(db.sql);
    await budget.reserve(LONG_CODE, 1, 1);
    await db.sql.query(`UPDATE sender_budgets SET next_at = now() - interval '1 hour'`);
    const before = await dbNow(db.sql);
    const slots = times(await Promise.all([budget.reserve(LONG_CODE, 1, 1), budget.reserve(LONG_CODE, 1, 1)]));
    expect(slots[0]!).toBeGreaterThanOrEqual(before - 5);
    expect(slots[1]! - slots[0]!).toBe(1000);
  });

  it('refuses nonsense', async () => {
    db = await backend.open();
    const budget = new SqlSenderBudget(db.sql);
    await expect(budget.reserve(LONG_CODE, 0, 1)).rejects.toThrow(RangeError);
    await expect(budget.reserve(LONG_CODE, 1, 0)).rejects.toThrow(RangeError);
  });
});

describe('sender rates', () => {
  it('defaults by kind of sender: long code 1, toll-free 3, short code 100', () => {
    expect(senderRate('+14155550199')).toBe(1);
    expect(senderRate('+18005550100')).toBe(3);
    expect(senderRate('+18885550100')).toBe(3);
    expect(senderRate('+18085550100')).toBe(1); // 808 is Hawaii
    expect(senderRate('12345')).toBe(100);
    expect(senderRate('123456')).toBe(100);
    expect(senderRate('MG' + '0'.repeat(32))).toBe(1);
  });

  it('parses SMSDESK_SENDER_RATES and lets it override the defaults', () => {
    const rates = parseSenderRates(' +14155550199=10, +18005550100 = 3.5,12345=250 ');
    expect([...rates]).toEqual([['+14155550199', 10], ['+18005550100', 3.5], ['12345', 250]]);
    expect(senderRate('+14155550199', rates)).toBe(10);
    expect(senderRate('+14155550188', rates)).toBe(1);
    expect(parseSenderRates('').size).toBe(0);
  });

  it.each([
    ['+14155550199', /not number=rate/],
    ['+14155550199=ten', /rate .* must be a number/],
    ['+14155550199=0', /above 0/],
    ['4155550199=5', /E\.164/],
    ['+14155550199=5,', /stray comma/],
    ['+14155550199=5,+14155550199=6', /given twice/],
  ])('refuses %s with a clear message', (raw, message) => {
    expect(() => parseSenderRates(raw)).toThrow(message);
  });
});
