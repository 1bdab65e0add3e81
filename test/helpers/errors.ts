import { AppError } from '../../src/domain/errors.ts';

/** The AppError `fn` throws (any other error is rethrown; no error fails the test). */
export function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}
