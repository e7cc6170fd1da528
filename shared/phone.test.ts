import { describe, expect, it } from 'vitest';
import { normalisePhone } from './phone.ts';

describe('normalisePhone', () => {
  it.each([
    ['081234567890', '6281234567890'],
    ['+62 812-3456-7890', '6281234567890'],
    ['(0812) 3456.7890', '6281234567890'],
    ['6281234567890@s.whatsapp.net', '6281234567890'],
    ['6281234567890@c.us', '6281234567890'],
    ['0044 20 7946 0958', '442079460958'],
  ])('turns %s into %s', (input, expected) => {
    expect(normalisePhone(input, '62')).toBe(expected);
  });

  it('uses the given country code for national numbers', () => {
    expect(normalisePhone('07911123456', '44')).toBe('447911123456');
  });

  it.each(['', 'abc', '0812abc', '123', '1234567890123456', "1' OR '1'='1", '62812@g.us', '00'])(
    'rejects %j',
    (input) => {
      expect(normalisePhone(input, '62')).toBeNull();
    },
  );
});
