import { describe, expect, it } from 'vitest';
import { statusesToReport } from './status-progress.ts';

describe('statusesToReport', () => {
  it('moves forward one step at a time', () => {
    expect(statusesToReport(null, 'sent')).toEqual(['sent']);
    expect(statusesToReport('sent', 'delivered')).toEqual(['delivered']);
    expect(statusesToReport('delivered', 'read')).toEqual(['read']);
  });

  it('fills in the steps a later status implies, in order', () => {
    expect(statusesToReport(null, 'delivered')).toEqual(['sent', 'delivered']);
    expect(statusesToReport(null, 'read')).toEqual(['sent', 'delivered', 'read']);
    expect(statusesToReport('sent', 'read')).toEqual(['delivered', 'read']);
  });

  it('never repeats a status or goes back', () => {
    expect(statusesToReport('sent', 'sent')).toEqual([]);
    expect(statusesToReport('read', 'delivered')).toEqual([]);
    expect(statusesToReport('read', 'sent')).toEqual([]);
    expect(statusesToReport('delivered', 'sent')).toEqual([]);
  });

  it('takes failed only before delivery, and nothing after it', () => {
    expect(statusesToReport(null, 'failed')).toEqual(['failed']);
    expect(statusesToReport('sent', 'failed')).toEqual(['failed']);
    expect(statusesToReport('delivered', 'failed')).toEqual([]);
    expect(statusesToReport('failed', 'delivered')).toEqual([]);
    expect(statusesToReport('failed', 'failed')).toEqual([]);
  });
});
