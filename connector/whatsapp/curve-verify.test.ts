import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Curve } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { curveVerifyRejectsForgeries, ensureCurveVerify, strictVerify } from './curve-verify.ts';

const here = dirname(fileURLToPath(import.meta.url));
const message = Buffer.from('certificate details');

describe('Curve.verify fix', () => {
  it('accepts a genuine signature and rejects a forged one, another key or malformed input', () => {
    const signer = Curve.generateKeyPair();
    const signature = Buffer.from(Curve.sign(signer.private, message));
    expect(strictVerify(signer.public, message, signature)).toBe(true);
    expect(strictVerify(signer.public, message, Buffer.alloc(64, 1))).toBe(false);
    expect(strictVerify(Curve.generateKeyPair().public, message, signature)).toBe(false);
    expect(strictVerify(signer.public, Buffer.from('other details'), signature)).toBe(false);
    expect(strictVerify(signer.public, message, signature.subarray(0, 63))).toBe(false);
  });

  it('leaves Curve.verify rejecting forgeries in this process, patched install or not', () => {
    expect(['already-strict', 'patched-at-runtime']).toContain(ensureCurveVerify());
    expect(curveVerifyRejectsForgeries()).toBe(true);
    const signer = Curve.generateKeyPair();
    expect(Curve.verify(signer.public, message, Buffer.from(Curve.sign(signer.private, message)))).toBe(true);
  });

  it('has the install patched by postinstall: strict verify, the receipt hook, the upload byte count and ended key transactions', () => {
    const require = createRequire(import.meta.url);
    const lib = dirname(require.resolve('@whiskeysockets/baileys'));
    const patch = readFileSync(join(here, '..', 'patches', '@whiskeysockets+baileys+7.0.0-rc14.patch'), 'utf8');
    const added = patch.split('\n').filter((line) => line.startsWith('+') && !line.startsWith('+++') && line.trim().length > 1);
    const installed = ['Utils/crypto.js', 'Socket/messages-recv.js', 'Utils/messages-media.js', 'Utils/auth-utils.js'].map((file) => readFileSync(join(lib, file), 'utf8')).join('\n');
    expect(added.length).toBeGreaterThan(0);
    for (const line of added) expect(installed).toContain(line.slice(1));
    expect(installed).toContain('=== true');
  });
});
