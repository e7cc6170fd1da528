import { describe, expect, it } from 'vitest';
import { PreparedStatements, type Prepared } from './prepared-statements.ts';

const counting = () => {
  const prepared: string[] = [];
  const prepare = (sql: string) => {
    prepared.push(sql);
    return { reader: false, columns: [], columnTypes: [], stmt: sql } as unknown as Prepared;
  };
  return { prepared, prepare };
};

describe('PreparedStatements', () => {
  it('prepares a text once while it is kept', () => {
    const cache = new PreparedStatements(4);
    const { prepared, prepare } = counting();
    const first = cache.get('SELECT 1', prepare);
    expect(cache.get('SELECT 1', prepare)).toBe(first);
    expect(prepared).toEqual(['SELECT 1']);
  });

  it('keeps at most its capacity, letting the least recently used go first', () => {
    const cache = new PreparedStatements(2);
    const { prepared, prepare } = counting();
    cache.get('a', prepare);
    cache.get('b', prepare);
    cache.get('a', prepare); // a is now the most recently used
    cache.get('c', prepare); // b goes
    expect(cache.size).toBe(2);
    cache.get('a', prepare);
    cache.get('b', prepare);
    expect(prepared).toEqual(['a', 'b', 'c', 'b']);
  });
});
