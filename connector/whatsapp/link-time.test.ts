import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { linkTimeOf } from './link-time.ts';

const account = (timestamp?: number) => ({ details: proto.ADVDeviceIdentity.encode({ rawId: 1, keyIndex: 1, ...(timestamp === undefined ? {} : { timestamp }) }).finish() });

describe('link time', () => {
  it("reads the phone's stamp in the device identity, in ms", () => {
    expect(linkTimeOf({ account: account(1_700_000_000) })).toBe(1_700_000_000_000);
  });

  it('is unknown (so the number counts as warm) without an account, a stamp, or readable details', () => {
    expect(linkTimeOf(undefined)).toBeNull();
    expect(linkTimeOf({ account: undefined })).toBeNull();
    expect(linkTimeOf({ account: account() })).toBeNull();
    expect(linkTimeOf({ account: { details: Buffer.from([0xff, 0xff, 0xff]) } })).toBeNull();
  });
});
