// A process that tries to take DATA_DIR's lock (argv[2]) when its stdin says "go", prints "got" or "busy",
// and holds what it got until its stdin ends: test/integration/data-dir-lock.test.ts starts several at once.
import { DataDirInUse, lockDataDir } from '../../src/adapters/fs/data-dir-lock.ts';

const dir = process.argv[2]!;
process.stdin.setEncoding('utf8');
process.stdin.once('data', () => {
  try {
    lockDataDir(dir, 'serve');
    console.log('got');
  } catch (err) {
    if (!(err instanceof DataDirInUse)) throw err;
    console.log('busy');
  }
});
process.stdin.on('end', () => process.exit(0));
console.log('ready');
