import { describe, expect, it } from 'vitest';
import { muteLibsignalConsole } from './libsignal-console.ts';

describe('muteLibsignalConsole', () => {
  it('keeps libsignal session records out of the console, hands on their first words, and lets everything else through', () => {
    const printed: unknown[][] = [];
    const diverted: string[] = [];
    const fake = { info: (...a: unknown[]) => printed.push(a), warn: (...a: unknown[]) => printed.push(a), log: (...a: unknown[]) => printed.push(a) };
    const restore = muteLibsignalConsole((line) => diverted.push(line), fake);
    fake.info('Closing session:', { rootKey: 'secret' });
    fake.warn('Session already open');
    fake.log('something else', 1);
    restore();
    fake.info('Opening session:', {});
    expect(printed).toEqual([['something else', 1], ['Opening session:', {}]]);
    expect(diverted).toEqual(['Closing session', 'Session already open']);
  });
});
