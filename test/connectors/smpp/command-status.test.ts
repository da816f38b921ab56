import { describe, expect, it } from 'vitest';
import {
  classifyBindStatus,
  classifySubmitStatus,
  commandStatusCode,
  commandStatusName,
} from '../../../src/connectors/smpp/command-status.ts';

describe('SMPP command_status table', () => {
  it('names the SMPP 3.4 codes', () => {
    expect(commandStatusName(0x00)).toBe('ESME_ROK');
    expect(commandStatusName(0x0b)).toBe('ESME_RINVDSTADR');
    expect(commandStatusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(commandStatusName(0x14)).toBe('ESME_RMSGQFUL');
    expect(commandStatusName(0xc3)).toBe('ESME_RMISSINGOPTPARAM');
    expect(commandStatusName(0xff)).toBe('ESME_RUNKNOWNERR');
  });

  it('names the SMPP 5.0 additions', () => {
    expect(commandStatusName(0x104)).toBe('ESME_RINVDCS');
  });

  it('names vendor-specific and unassigned codes by number', () => {
    expect(commandStatusName(0x401)).toBe('ESME_VENDOR_0x0401');
    expect(commandStatusName(0x99)).toBe('ESME_0x0099');
  });

  it('agrees with node-smpp on every code both know', async () => {
    const { default: smpp } = await import('smpp');
    for (const [name, code] of Object.entries(smpp.errors)) {
      if (code >= 0xc0 && code <= 0xc4) continue; // node-smpp uses the SMPP 5.0 names for the TLV errors
      expect(commandStatusName(code)).toBe(name);
    }
  });

  it('reads names, short names and numbers back', () => {
    expect(commandStatusCode('ESME_RTHROTTLED')).toBe(0x58);
    expect(commandStatusCode('rthrottled')).toBe(0x58);
    expect(commandStatusCode('0x0401')).toBe(0x401);
    expect(commandStatusCode('11')).toBe(11);
    expect(commandStatusCode('nonsense')).toBeUndefined();
  });

  it('reads every name node-smpp knows, the SMPP 5.0 TLV names included', async () => {
    const { default: smpp } = await import('smpp');
    for (const [name, code] of Object.entries(smpp.errors)) expect(commandStatusCode(name)).toBe(code);
    expect(commandStatusName(commandStatusCode('ESME_RMISSINGTLV')!)).toBe('ESME_RMISSINGOPTPARAM');
  });

  it('retries congestion in the connector, rebinds on a bind-state error, and lets the caller retry temporary SMSC errors', () => {
    expect(classifySubmitStatus(0x00)).toBe('ok');
    expect(classifySubmitStatus(0x58)).toBe('throttle');
    expect(classifySubmitStatus(0x14)).toBe('throttle');
    expect(classifySubmitStatus(0x04)).toBe('rebind');
    expect(classifySubmitStatus(0x08)).toBe('transient');
    expect(classifySubmitStatus(0x64)).toBe('transient');
  });

  it('treats everything else as permanent unless the SMSC config says otherwise', () => {
    expect(classifySubmitStatus(0x0b)).toBe('permanent');
    expect(classifySubmitStatus(0x45)).toBe('permanent');
    expect(classifySubmitStatus(0x401)).toBe('permanent');
    expect(classifySubmitStatus(0x401, { 0x401: 'transient' })).toBe('transient');
  });

  it('stops binding on wrong credentials and retries other bind failures', () => {
    expect(classifyBindStatus(0x0e)).toBe('fatal');
    expect(classifyBindStatus(0x0f)).toBe('fatal');
    expect(classifyBindStatus(0x53)).toBe('fatal');
    expect(classifyBindStatus(0x0d)).toBe('retry');
    expect(classifyBindStatus(0x08)).toBe('retry');
    expect(classifyBindStatus(0x05)).toBe('bound');
    expect(classifyBindStatus(0x00)).toBe('bound');
  });
});
