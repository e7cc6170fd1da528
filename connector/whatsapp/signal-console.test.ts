import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { muteLibsignalConsole } from './signal-console.ts';

describe('muteLibsignalConsole', () => {
  it('keeps libsignal session records out of the console and lets everything else through', () => {
    const printed: unknown[][] = [];
    const fake = { info: (...a: unknown[]) => printed.push(a), warn: (...a: unknown[]) => printed.push(a), log: (...a: unknown[]) => printed.push(a) };
    const restore = muteLibsignalConsole(pino({ level: 'silent' }), fake);
    fake.info('Closing session:', { rootKey: 'secret' });
    fake.warn('Session already open');
    fake.log('something else', 1);
    restore();
    fake.info('Opening session:', {});
    expect(printed).toEqual([['something else', 1], ['Opening session:', {}]]);
  });
});
