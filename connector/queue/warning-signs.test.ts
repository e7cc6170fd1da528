import { describe, expect, it } from 'vitest';
import { warningOfFailure, warningOfReachoutLock, warningOfSendError } from './warning-signs.ts';
// Baileys throws a query's error as a Boom whose `data` is WhatsApp's code.
const boom = (message: string, data: number) => Object.assign(new Error(message), { data });

describe('warning signs', () => {
  it('reads a 463 and a 429 error ack as warnings, and other refusals as none', () => {
    expect(warningOfFailure({ code: 'ACCOUNT_RESTRICTED', message: 'WhatsApp error 463' })).toMatchObject({ code: 'ACCOUNT_RESTRICTED' });
    expect(warningOfFailure({ code: 'RATE_LIMITED', message: 'WhatsApp error 429' })).toMatchObject({ code: 'RATE_LIMITED' });
    expect(warningOfFailure({ code: 'MESSAGE_REJECTED', message: 'WhatsApp error 479' })).toBeNull();
    expect(warningOfFailure({ code: 'REFUSED', message: 'WhatsApp error 500' })).toBeNull();
  });

  it('reads a query answered 429 rate-overlimit as RATE_LIMITED, and other errors as none', () => {
    expect(warningOfSendError(boom('rate-overlimit', 429))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(warningOfSendError(new Error('rate-overlimit'))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(warningOfSendError(boom('item-not-found', 404))).toBeNull();
    expect(warningOfSendError(new Error('Connection Closed'))).toBeNull();
  });

  it('reads an active reach-out time lock with its end, and a lifted one as none', () => {
    const ends = new Date(Date.UTC(2026, 0, 1, 12));
    expect(warningOfReachoutLock({ isActive: true, timeEnforcementEnds: ends })).toMatchObject({ code: 'REACH_OUT_LOCKED', until: ends.getTime() });
    expect(warningOfReachoutLock({ isActive: true })).not.toHaveProperty('until');
    expect(warningOfReachoutLock({ isActive: false })).toBeNull();
  });
});
