import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { AppError, conflict, invalid } from '../domain/errors.ts';
import { hashPassword, passwordProblem } from '../domain/passwords.ts';
import type { User, UserStore } from '../ports/user-store.ts';

/** Crockford's base32: no I, L, O or U to misread; 8 characters are 40 bits. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** What a typed code is compared as: case, spaces and dashes do not matter. */
const normalize = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');
const digest = (code: string) => createHash('sha256').update(normalize(code)).digest();

/**
 * The first admin without a terminal: while there is no user, the server makes a one-time setup code at start
 * and prints it in its log; whoever can read the log (the operator) can claim the instance in the console.
 *
 * Only the code's hash is kept, in this process's memory: the code is valid for the process that printed it
 * and dies with it (a restart prints a new one, so a code in an old log is worthless), nothing secret is
 * written to the database, and no migration is needed. With several instances each prints its own code.
 */
export class FirstAdminSetup {
  private codeHash: Buffer | null = null;

  constructor(private readonly users: UserStore) {}

  /** At start: a new code while there is no user (to be printed once), else null. */
  async issue(): Promise<string | null> {
    if ((await this.users.count()) > 0) return null;
    const chars = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]!).join('');
    this.codeHash = digest(chars);
    return `${chars.slice(0, 4)}-${chars.slice(4)}`;
  }

  /** Whether the console should offer "create the first admin". */
  async needed(): Promise<boolean> {
    return this.codeHash !== null && (await this.users.count()) === 0;
  }

  /** Creates the first admin when `code` is this process's; one admin however many setups race. */
  async complete(code: string, u: { email: string; name: string; password: string }): Promise<User> {
    const done = () => conflict('setup_done', 'The first admin exists already: sign in (admins add users in Settings).');
    if (!(await this.needed())) throw done();
    if (!timingSafeEqual(digest(code), this.codeHash!)) {
      throw new AppError('forbidden', 'invalid_setup_code',
        'That is not the setup code: copy it from the line "enter the setup code …" in the log smsdesk printed at its last start.');
    }
    const problem = passwordProblem(u.password);
    if (problem) throw invalid('weak_password', `password ${problem}.`);
    const user = await this.users.createFirstAdmin({ email: u.email, name: u.name, passwordHash: await hashPassword(u.password) });
    if (!user) throw done();
    this.codeHash = null;
    return user;
  }
}
