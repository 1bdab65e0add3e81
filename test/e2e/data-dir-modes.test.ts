import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../bench/lib/children.ts';
import { buildConsole, startServe, type ServeChild } from '../helpers/cli.ts';

/** Every entry under `dir` (not following links) with its permission bits. */
function tree(dir: string): { path: string; mode: number; link: boolean }[] {
  const out: { path: string; mode: number; link: boolean }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    out.push({ path, mode: st.mode & 0o777, link: st.isSymbolicLink() });
    if (st.isDirectory()) out.push(...tree(path));
  }
  return out;
}
const openToOthers = (dir: string) => [
  ...(statSync(dir).mode & 0o077 ? [`${dir} ${(statSync(dir).mode & 0o777).toString(8)}`] : []),
  ...tree(dir).filter((e) => !e.link && e.mode & 0o077).map((e) => `${e.path} ${e.mode.toString(8)}`),
];

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);

/** What smsdesk writes in DATA_DIR (database, media, secrets, its lock) is for its own user only. */
describe('DATA_DIR is owner-only', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsdesk-modes-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(buildConsole, 120_000);
  afterEach(async () => {
    await stopAll(10_000);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A picture texted in and stored: a media file in DATA_DIR/media. */
  const textPicture = async (server: ServeChild) => {
    const auth = { authorization: `Bearer ${server.token}` };
    const res = await fetch(`${server.url}/sandbox/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ from: '+14155550100', to: '+14155550199', body: 'the damage', media: [{ contentType: 'image/png', base64: png.toString('base64') }] }),
    });
    expect(res.status).toBe(200);
    await expect.poll(async () => {
      const list = (await (await fetch(`${server.url}/api/v1/messages?phone=%2B14155550100`, { headers: auth })).json()) as { messages: { media: { sha256: string | null }[] }[] };
      return list.messages[0]?.media[0]?.sha256 ?? null;
    }, { timeout: 60_000 }).toMatch(/^[0-9a-f]{64}$/);
  };

  it('creates nothing that group or others can open on a fresh DATA_DIR, database files included', async () => {
    const dataDir = join(tmp(), 'data');
    const server = await startServe('smsdesk', dataDir);
    await textPicture(server);
    const entries = tree(dataDir).map((e) => e.path);
    expect(entries).toContain(join(dataDir, 'db', 'global', 'pg_control'));
    expect(entries).toContain(join(dataDir, 'smsdesk.lock'));
    expect(entries.some((p) => p.startsWith(join(dataDir, 'media') + '/'))).toBe(true);
    expect(openToOthers(dataDir)).toEqual([]);
  }, 300_000);

  it('fixes the modes of a tree an older version left open at start, without following links', async () => {
    const dataDir = tmp();
    const first = await startServe('smsdesk', dataDir);
    await textPicture(first);
    await first.stop();
    // As older versions left it: files 0666, directories 0777, and a link to a file outside DATA_DIR.
    for (const e of tree(dataDir)) chmodSync(e.path, lstatSync(e.path).isDirectory() ? 0o777 : 0o666);
    chmodSync(dataDir, 0o777);
    const outside = join(tmp(), 'shared.txt');
    writeFileSync(outside, 'not smsdesk’s');
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(dataDir, 'link-to-outside'));
    expect(openToOthers(dataDir).length).toBeGreaterThan(100);

    await startServe('smsdesk again', dataDir);
    expect(openToOthers(dataDir)).toEqual([]);
    expect(statSync(outside).mode & 0o777).toBe(0o644);
  }, 300_000);
});
