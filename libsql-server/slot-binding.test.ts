import { describe, expect, it } from 'vitest';
import { bindSlots } from './slot-binding.ts';
import { splitStatements } from './sql-lexer.ts';

const bind = (sql: string, values: string[]) => bindSlots(sql, splitStatements(sql)[0]!, values);

describe('bindSlots', () => {
  it('keeps plain ? and named slots as written', () => {
    expect(bind('SELECT ?, :a, ?', ['x', 'y', 'z'])).toEqual({ sql: 'SELECT ?, :a, ?', named: { ':a': 'y' }, anonymous: ['x', 'z'] });
  });

  it('binds ?NNN alone by name and skips numbers nothing uses', () => {
    expect(bind('SELECT ?1, ?3', ['a', 'b', 'c'])).toEqual({ sql: 'SELECT ?1, ?3', named: { '?1': 'a', '?3': 'c' }, anonymous: [] });
  });

  it('writes each bare ? as its number when ?NNN is also present', () => {
    expect(bind("SELECT ?3, '?' || ?, ?1, ?", ['a', 'b', 'c', 'd', 'e'])).toEqual({
      sql: "SELECT ?3, '?' || ?4, ?1, ?5",
      named: { '?1': 'a', '?3': 'c', '?4': 'd', '?5': 'e' },
      anonymous: [],
    });
  });
});
