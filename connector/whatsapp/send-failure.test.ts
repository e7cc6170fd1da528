import { expect, test } from 'vitest';
import { sendFailure } from './send-failure.ts';

test('names the error acks it knows and keeps the code of any other', () => {
  expect(sendFailure('463').code).toBe('ACCOUNT_RESTRICTED');
  expect(sendFailure('479').code).toBe('MESSAGE_REJECTED');
  expect(sendFailure('421')).toEqual({ code: 'REFUSED', message: expect.stringContaining('421') });
  expect(sendFailure(undefined).code).toBe('REFUSED');
});
