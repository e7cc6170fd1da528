import { describe, expect, it } from 'vitest';
import { createStartQueue } from './start-queue.ts';

describe('start queue', () => {
  it('never runs more tasks at once than its concurrency, and runs them all in order', async () => {
    const queue = createStartQueue(3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: Array<() => void> = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      queue.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      }),
    );
    while (order.length < 10) {
      await Promise.resolve();
      gates.shift()?.();
    }
    gates.splice(0).forEach((open) => open());
    await Promise.all(tasks);
    expect(peak).toBe(3);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('frees the slot when a task fails', async () => {
    const queue = createStartQueue(1);
    await expect(queue.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await queue.run(async () => 'next')).toBe('next');
  });
});
