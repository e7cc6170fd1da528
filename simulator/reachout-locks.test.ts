// The reach-out time lock as real Baileys hears it: the mex notification WhatsApp pushes when the lock is
// set or lifted, and the w:mex query a device asks its account's lock with.
import { describe, expect, test } from 'vitest';
import type { Simulator } from './server.ts';
import { linkClient } from './test-client.ts';
import { useSimulator } from './test-fixture.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

async function call(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${simulator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

describe('the reach-out time lock', () => {
  test("reaches a linked device as Baileys' reachoutTimeLock, is answered to its query, and lifts the same way", async () => {
    const phone = '6283500000001';
    const client = await linkClient(simulator, phone, track);
    const until = Math.floor((Date.now() + 3_600_000) / 1_000) * 1_000;
    expect(await call('/control/reachout-lock', { phone, until, enforcementType: 'BIZ_QUALITY' })).toEqual({ status: 200, json: { devices: 1 } });
    const set = await client.connection((u) => u.reachoutTimeLock?.isActive === true);
    expect(set.reachoutTimeLock).toMatchObject({ isActive: true, enforcementType: 'BIZ_QUALITY' });
    expect(set.reachoutTimeLock?.timeEnforcementEnds?.getTime()).toBe(until);
    const asked = await client.sock.fetchAccountReachoutTimelock();
    expect(asked).toMatchObject({ isActive: true, enforcementType: 'BIZ_QUALITY' });
    expect(asked.timeEnforcementEnds?.getTime()).toBe(until);

    expect(await call('/control/reachout-lock', { phone, until: null })).toEqual({ status: 200, json: { devices: 1 } });
    await client.connection((u) => u.reachoutTimeLock?.isActive === false);
    expect(await client.sock.fetchAccountReachoutTimelock()).toMatchObject({ isActive: false, timeEnforcementEnds: undefined });
  });

  test('refuses a lock without a phone, an end, or with an unknown field, with a 400 error', async () => {
    for (const body of [{ until: 1 }, { phone: '6283500000002' }, { phone: '6283500000002', until: 1, forever: true }, { phone: '6283500000002', until: 1, enforcementType: 'no spaces please' }]) {
      const answer = await call('/control/reachout-lock', body);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toEqual(expect.any(String));
    }
  });
});
