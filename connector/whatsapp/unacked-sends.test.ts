import { expect, test } from 'vitest';
import { UnackedSends } from './unacked-sends.ts';

test('keeps sends until the server acks them, oldest first', () => {
  const unacked = new UnackedSends();
  unacked.add({ messageId: 'a', to: '62811', text: 'one' });
  unacked.add({ messageId: 'b', to: '62812', text: 'two' });
  unacked.settle('a');
  unacked.settle('unknown');
  expect(unacked.list()).toEqual([{ messageId: 'b', to: '62812', text: 'two' }]);
});
