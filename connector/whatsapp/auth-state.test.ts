import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Curve, proto } from '@whiskeysockets/baileys';
import { openConnectorDb, type Client } from '../db.ts';
import { openValue, parseAuthStateKey, sealValue } from './auth-crypto.ts';
import { createAuthStore } from './auth-state.ts';

const KEY = Buffer.alloc(32, 1);
const OTHER_KEY = Buffer.alloc(32, 2);

let dir: string;
let db: Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-auth-'));
  db = await openConnectorDb(`file:${join(dir, 'nested', 'connector.db')}`);
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('auth-crypto', () => {
  it('round-trips a value sealed for its row', () => {
    expect(openValue(KEY, 'row', sealValue(KEY, 'row', 'secret'))).toBe('secret');
  });

  it('uses a fresh IV for every value, so equal values never look equal at rest', () => {
    expect(sealValue(KEY, 'row', 'same').equals(sealValue(KEY, 'row', 'same'))).toBe(false);
  });

  it('never repeats an IV, across many values and under two keys', () => {
    const other = Buffer.alloc(32, 7);
    const ivs = Array.from({ length: 2_000 }, (_, i) => sealValue(i % 2 ? KEY : other, 'row', 'same').subarray(0, 12).toString('hex'));
    expect(new Set(ivs).size).toBe(ivs.length);
    expect(openValue(other, 'row', sealValue(other, 'row', 'x'))).toBe('x');
  });

  it('refuses to open under another key, another row or with a flipped bit', () => {
    const sealed = sealValue(KEY, 'row', 'secret');
    expect(() => openValue(OTHER_KEY, 'row', sealed)).toThrow();
    expect(() => openValue(KEY, 'other-row', sealed)).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[14] = tampered[14]! ^ 1;
    expect(() => openValue(KEY, 'row', tampered)).toThrow();
  });

  it('parses a 32-byte key from hex or base64 and nothing else', () => {
    expect(parseAuthStateKey('ab'.repeat(32))?.length).toBe(32);
    expect(parseAuthStateKey(KEY.toString('base64'))?.equals(KEY)).toBe(true);
    expect(parseAuthStateKey('ab'.repeat(31))).toBeNull();
    expect(parseAuthStateKey(Buffer.alloc(31).toString('base64'))).toBeNull();
  });
});

describe('auth state in libSQL', () => {
  it('stores creds and keys encrypted and reads them back after a reload', async () => {
    const store = createAuthStore(db, KEY, 'c1');
    const first = await store.load('s1');
    expect(first.state.creds.registered).toBe(false);
    first.state.creds.registered = true;
    await first.saveCreds();
    const preKey = Curve.generateKeyPair();
    await first.state.keys.set({
      'pre-key': { '1': preKey },
      'app-state-sync-key': { k1: { keyData: Buffer.from([1, 2, 3]), timestamp: 5 } },
    });

    const again = await createAuthStore(db, KEY, 'c1').load('s1');
    expect(again.state.creds.registered).toBe(true);
    expect(Buffer.from(again.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    const keys = await again.state.keys.get('pre-key', ['1', '2']);
    expect(Buffer.from(keys['1']!.private).equals(preKey.private)).toBe(true);
    expect(keys['2']).toBeUndefined();
    const syncKeys = await again.state.keys.get('app-state-sync-key', ['k1']);
    expect(syncKeys.k1).toBeInstanceOf(proto.Message.AppStateSyncKeyData);

    const raw = await db.execute("SELECT value FROM auth_state WHERE session_id = 's1' AND kind = 'creds'");
    expect(Buffer.from(raw.rows[0]!.value as ArrayBuffer).toString('latin1')).not.toContain('noiseKey');
    expect(await store.listSessions()).toContain('s1');
  });

  it('deletes a key that is set to null', async () => {
    const { state } = await createAuthStore(db, KEY, 'c1').load('s2');
    await state.keys.set({ session: { a: Buffer.from([1]) } });
    await state.keys.set({ session: { a: null } });
    expect(await state.keys.get('session', ['a'])).toEqual({});
  });

  it('fails to decrypt with the wrong AUTH_STATE_KEY', async () => {
    const { saveCreds } = await createAuthStore(db, KEY, 'c1').load('s3');
    await saveCreds();
    await expect(createAuthStore(db, OTHER_KEY, 'c1').load('s3')).rejects.toThrow();
  });

  it('fails to decrypt a value moved to another row', async () => {
    const { state } = await createAuthStore(db, KEY, 'c1').load('s4');
    await state.keys.set({ session: { victim: Buffer.from('victim'), attacker: Buffer.from('attacker') } });
    await db.execute(
      "UPDATE auth_state SET value = (SELECT value FROM auth_state WHERE session_id = 's4' AND id = 'attacker') WHERE session_id = 's4' AND id = 'victim'",
    );
    await expect(state.keys.get('session', ['victim'])).rejects.toThrow();
  });

  it('writes one keys.set call as one transaction', async () => {
    const calls: string[] = [];
    const spy = new Proxy(db, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(prop === 'batch' ? `batch(${(args[0] as unknown[]).length},${String(args[1])})` : String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { state } = await createAuthStore(spy, KEY, 'c1').load('s5');
    calls.length = 0;
    await state.keys.set({ 'pre-key': { '1': Curve.generateKeyPair(), '2': Curve.generateKeyPair() }, session: { x: Buffer.from([1]), y: null } });
    expect(calls).toEqual(['batch(4,write)']);
  });

  it('wipes everything a session stored and nothing of other sessions', async () => {
    const store = createAuthStore(db, KEY, 'c1');
    const a = await store.load('wipe-a');
    const b = await store.load('wipe-b');
    await Promise.all([a.saveCreds(), b.saveCreds(), a.state.keys.set({ session: { k: Buffer.from([1]) } })]);
    await store.wipe('wipe-a');
    const sessions = await store.listSessions();
    expect(sessions).not.toContain('wipe-a');
    expect(sessions).toContain('wipe-b');
    expect(await (await store.load('wipe-a')).state.keys.get('session', ['k'])).toEqual({});
  });
});
