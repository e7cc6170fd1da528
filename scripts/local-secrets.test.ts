import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLocalSecrets } from './local-secrets.ts';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kabar-secrets-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadLocalSecrets', () => {
  it('generates every secret once, the database token included, and keeps them across starts', () => {
    const dir = scratch();
    const first = loadLocalSecrets(dir);
    expect(first.libsqlAuthToken).toMatch(/^[\w-]{32,}$/);
    expect(loadLocalSecrets(dir)).toEqual(first);
  });

  it('adds a missing secret to a file written by an older version, keeping the others', () => {
    const dir = scratch();
    const old = { adminToken: 'admin', connectorSecret: 'c'.repeat(64), authStateKey: 'a'.repeat(64), webhookSecret: 'w'.repeat(64) };
    writeFileSync(join(dir, 'local-secrets.json'), JSON.stringify(old));
    const upgraded = loadLocalSecrets(dir);
    expect(upgraded).toMatchObject(old);
    expect(upgraded.libsqlAuthToken).toMatch(/^[\w-]{32,}$/);
    expect(JSON.parse(readFileSync(join(dir, 'local-secrets.json'), 'utf8'))).toEqual(upgraded);
  });
});
