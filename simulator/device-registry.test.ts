import { describe, expect, test } from 'vitest';
import { DeviceRegistry, PreKeyPool } from './device-registry.ts';

describe('PreKeyPool', () => {
  test('hands out each uploaded prekey once, oldest first, across uploads', () => {
    const pool = new PreKeyPool();
    pool.add([
      { id: 1, publicKey: Buffer.alloc(32, 1) },
      { id: 2, publicKey: Buffer.alloc(32, 2) },
    ]);
    pool.add([{ id: 70_000, publicKey: Buffer.alloc(32, 3) }]);
    expect(pool.size).toBe(3);
    expect(pool.take()).toEqual({ id: 1, publicKey: Buffer.alloc(32, 1) });
    expect(pool.take()).toEqual({ id: 2, publicKey: Buffer.alloc(32, 2) });
    expect(pool.take()).toEqual({ id: 70_000, publicKey: Buffer.alloc(32, 3) });
    expect(pool.take()).toBeUndefined();
    expect(pool.size).toBe(0);
  });
});

describe('DeviceRegistry', () => {
  test('never reuses a device number of a phone, even after the device is removed', () => {
    const registry = new DeviceRegistry();
    const first = registry.allocateDevice('6281');
    registry.remove('6281', first);
    expect(registry.allocateDevice('6281')).toBe(first + 1);
    expect(registry.account('6281').accountKey).toBe(registry.account('6281').accountKey);
  });
});
