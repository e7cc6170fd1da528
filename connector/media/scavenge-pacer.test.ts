// The pacer's arithmetic: a collection each time another `everyBytes` have been reported, however they are cut.
import { describe, expect, it } from 'vitest';
import { scavengePacer } from './scavenge-pacer.ts';

describe('scavengePacer', () => {
  it('collects once per everyBytes reported, carrying nothing past a collection', () => {
    let collections = 0;
    const pace = scavengePacer(() => collections++, 1000);
    for (let i = 0; i < 9; i++) pace(100);
    expect(collections).toBe(0);
    pace(100);
    expect(collections).toBe(1);
    pace(5000);
    expect(collections).toBe(2);
    for (let i = 0; i < 10; i++) pace(100);
    expect(collections).toBe(3);
  });
});
