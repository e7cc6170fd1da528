// Conversion between Hrana values and what node:sqlite binds and returns. Integers travel as decimal
// strings and are read as BigInt, so every 64-bit value survives the trip.
import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { Value } from './protocol.ts';

export function toSqlite(value: Value): SQLInputValue {
  switch (value.type) {
    case 'null': return null;
    case 'integer': return BigInt(value.value);
    // A JS number binds as a double, as sqld's bind_double does; column affinity decides the rest.
    case 'float': return value.value;
    case 'text': return value.value;
    case 'blob': return Buffer.from(value.base64, 'base64');
  }
}

export function fromSqlite(value: SQLOutputValue): Value {
  if (value === null) return { type: 'null' };
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() };
  // A non-finite REAL serialises as null, as sqld's does; the client then rejects the response.
  if (typeof value === 'number') return { type: 'float', value };
  if (typeof value === 'string') return { type: 'text', value };
  return { type: 'blob', base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
}
