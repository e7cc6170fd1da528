import { describe, expect, it } from 'vitest';
import { WriteGate } from './write-gate.ts';

describe('WriteGate', () => {
  it('grants a free gate at once and again to its holder', async () => {
    const gate = new WriteGate<string>();
    expect(await gate.acquire('a', 1000)).toBe(true);
    expect(await gate.acquire('a', 1000)).toBe(true);
    expect(gate.holder).toBe('a');
  });

  it('hands the gate to waiters in arrival order', async () => {
    const gate = new WriteGate<string>();
    await gate.acquire('a', 1000);
    const order: string[] = [];
    const b = gate.acquire('b', 5000).then((granted) => order.push(`b:${granted}`));
    const c = gate.acquire('c', 5000).then((granted) => order.push(`c:${granted}`));
    gate.release('c'); // not the holder: no effect
    gate.release('a');
    await b;
    expect(gate.holder).toBe('b');
    gate.release('b');
    await c;
    expect(order).toEqual(['b:true', 'c:true']);
    expect(gate.holder).toBe('c');
  });

  it('gives up after the bounded wait and forgets the waiter', async () => {
    const gate = new WriteGate<string>();
    await gate.acquire('a', 1000);
    expect(await gate.acquire('b', 20)).toBe(false);
    gate.release('a');
    expect(gate.holder).toBe(null);
  });

  it('turns waiters away on shutdown', async () => {
    const gate = new WriteGate<string>();
    await gate.acquire('a', 1000);
    const waiting = gate.acquire('b', 60_000);
    gate.refuseAll();
    expect(await waiting).toBe(false);
  });
});
