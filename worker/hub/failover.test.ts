import { describe, expect, it } from 'vitest';
import { acceptedFrom } from './event-fence.ts';
import { spreadByLoad } from './failover.ts';

describe('failover decisions', () => {
  it("spreads a dead connector's sessions over the live ones, least loaded first, counting those just given", () => {
    const chosen = spreadByLoad(['s1', 's2', 's3', 's4', 's5'], new Map([['edge-b', 2], ['edge-c', 0]]));
    expect([...chosen]).toEqual([
      ['s1', 'edge-c'],
      ['s2', 'edge-c'],
      ['s3', 'edge-b'],
      ['s4', 'edge-c'],
      ['s5', 'edge-b'],
    ]);
    expect(spreadByLoad(['s1'], new Map()).size).toBe(0);
  });

  it("keeps a former owner's facts (messages, receipts) but not its word on the live state, and hears no stranger", () => {
    const received = { name: 'message.received', messageId: 'm1', from: '6281100000001', text: 'hi', timestamp: 1 } as const;
    const status = { name: 'connection.update', status: 'STOPPED', code: 'LEASE_LOST' } as const;
    expect(acceptedFrom(received, 'edge-a', 'edge-b', ['edge-a'])).toBe(true);
    expect(acceptedFrom(status, 'edge-a', 'edge-b', ['edge-a'])).toBe(false);
    expect(acceptedFrom({ name: 'qr', qr: 'x' } as never, 'edge-a', 'edge-b', ['edge-a'])).toBe(false);
    expect(acceptedFrom(received, 'intruder', 'edge-b', ['edge-a'])).toBe(false);
    expect(acceptedFrom(status, 'edge-b', 'edge-b')).toBe(true);
    // A session that is gone takes nothing, from anyone.
    expect(acceptedFrom(received, 'edge-b', undefined)).toBe(false);
  });
});
