import { describe, expect, it } from 'vitest';
import { statusAfterClose, statusFromConnectionUpdate } from './status.ts';

describe('status mapping', () => {
  it('maps a QR to SCAN_QR_CODE, open to WORKING and connecting to STARTING', () => {
    expect(statusFromConnectionUpdate({ qr: '2@abc' })).toBe('SCAN_QR_CODE');
    expect(statusFromConnectionUpdate({ connection: 'open' })).toBe('WORKING');
    expect(statusFromConnectionUpdate({ connection: 'connecting' })).toBe('STARTING');
  });

  it('reports no change for updates that carry no state', () => {
    expect(statusFromConnectionUpdate({})).toBeNull();
  });

  it('maps each close decision to the status the user sees', () => {
    expect(statusAfterClose('restart')).toBe('STARTING');
    expect(statusAfterClose('reconnect')).toBe('STARTING');
    expect(statusAfterClose('logged-out')).toBe('LOGGED_OUT');
    expect(statusAfterClose('fail')).toBe('FAILED');
  });
});
