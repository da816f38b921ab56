import { beforeAll, describe, expect, it } from 'vitest';
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { importDeviceCatalogue } from '../../src/devices/import-catalogue.ts';
import {
  resolveDevice,
  operatorDeviceDefaultSchema,
  type OperatorDeviceDefault,
} from '../../src/devices/resolve-device.ts';
import { forEachStore } from '../support/stores.ts';

const CATALOGUE = `tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes
,Nokia,*,oma-cp,NETWPIN;USERPIN,6,data;browser;mms,
35216700,Nokia,6230i,oma-cp,NETWPIN;USERPIN;USERNETWPIN,,,S40
35671801,Nokia,6300,,,8,,
350612,Nokia,6610,nokia-ota,none,4,data;browser,legacy TAC
35061299,Nokia,6610 special batch,oma-cp,,5,,a FAC of its own
350122,Nokia,3310,none,,,,no browser
,Sony Ericsson,*,none,,,,
35467800,Sony Ericsson,K750i,oma-cp,NETWPIN,8,,
35590501,Sony Ericsson,W810i,,,,,
35000001,Unbranded,Phone,,,,,
`;

const OPERATOR_DEFAULT: OperatorDeviceDefault = {
  format: 'oma-cp',
  securityMethods: ['NETWPIN'],
  maxSegments: 5,
  capabilities: null,
};

/** A valid 15-digit IMEI starting with the given 8 digits. */
function imeiWithTac(tac: string, serial = '123456'): string {
  const body = `${tac}${serial}`;
  return `${body}${luhnCheckDigit(body)}`;
}

describe('operatorDeviceDefaultSchema', () => {
  it('takes a complete default and refuses one without security methods', () => {
    expect(
      operatorDeviceDefaultSchema.parse({ format: 'oma-cp', securityMethods: ['NETWPIN'], maxSegments: 6 }),
    ).toEqual({
      format: 'oma-cp',
      securityMethods: ['NETWPIN'],
      maxSegments: 6,
      capabilities: null,
    });
    expect(
      operatorDeviceDefaultSchema.safeParse({ format: 'oma-cp', securityMethods: [], maxSegments: 6 })
        .success,
    ).toBe(false);
  });
});

forEachStore(({ db }) => {
  beforeAll(async () => {
    const report = await importDeviceCatalogue(db(), CATALOGUE, { actor: 'test', source: 'resolve.csv' });
    expect(report.issues).toEqual([]);
  });
  const withDefault = { operatorDefault: OPERATOR_DEFAULT };
  const withoutDefault = { operatorDefault: null };

  it('finds a model by the 8-digit TAC of the IMEI', async () => {
    const resolution = await resolveDevice(db(), { imei: imeiWithTac('35216700') }, withoutDefault);
    expect(resolution).toEqual({
      outcome: 'supported',
      device: {
        manufacturer: 'Nokia',
        model: '6230i',
        modelId: expect.any(Number),
        tac: '35216700',
        matchedBy: 'tac',
        format: 'oma-cp',
        securityMethods: ['NETWPIN', 'USERPIN', 'USERNETWPIN'],
        maxSegments: 6,
        capabilities: ['data', 'browser', 'mms'],
        notes: 'S40',
        sources: {
          format: 'model',
          securityMethods: 'model',
          maxSegments: 'manufacturer-default',
          capabilities: 'manufacturer-default',
        },
      },
    });
  });

  it('finds a legacy model by its 6-digit TAC, whatever the FAC', async () => {
    const resolution = await resolveDevice(db(), { imei: imeiWithTac('35061207') }, withoutDefault);
    expect(resolution).toMatchObject({
      outcome: 'supported',
      device: {
        model: '6610',
        tac: '350612',
        matchedBy: 'legacy-tac',
        format: 'nokia-ota',
        securityMethods: ['none'],
      },
    });
  });

  it('prefers an 8-digit TAC over the legacy TAC it starts with', async () => {
    const resolution = await resolveDevice(db(), { imei: imeiWithTac('35061299') }, withoutDefault);
    expect(resolution).toMatchObject({
      outcome: 'supported',
      device: { model: '6610 special batch', matchedBy: 'tac' },
    });
  });

  it('accepts an IMEISV and a bare TAC as well as an IMEI', async () => {
    expect(await resolveDevice(db(), { imei: '3546780012345601' }, withoutDefault)).toMatchObject({
      device: { model: 'K750i' },
    });
    expect(await resolveDevice(db(), { tac: '35467800' }, withoutDefault)).toMatchObject({
      device: { model: 'K750i' },
    });
    expect(await resolveDevice(db(), { tac: '350612' }, withoutDefault)).toMatchObject({
      device: { model: '6610', matchedBy: 'legacy-tac' },
    });
  });

  it('inherits what a model leaves out from its manufacturer default', async () => {
    const resolution = await resolveDevice(db(), { imei: imeiWithTac('35671801') }, withoutDefault);
    expect(resolution).toMatchObject({
      outcome: 'supported',
      device: {
        model: '6300',
        format: 'oma-cp',
        maxSegments: 8,
        securityMethods: ['NETWPIN', 'USERPIN'],
        sources: {
          format: 'manufacturer-default',
          maxSegments: 'model',
          securityMethods: 'manufacturer-default',
        },
      },
    });
  });

  it('fills what neither the model nor its manufacturer says from the operator default', async () => {
    const resolution = await resolveDevice(db(), { imei: imeiWithTac('35000001') }, withDefault);
    expect(resolution).toMatchObject({
      outcome: 'supported',
      device: {
        manufacturer: 'Unbranded',
        model: 'Phone',
        matchedBy: 'tac',
        format: 'oma-cp',
        securityMethods: ['NETWPIN'],
        maxSegments: 5,
        sources: { format: 'operator-default', securityMethods: 'operator-default' },
      },
    });
  });

  it('is unsupported when a known model has no format anywhere and there is no operator default', async () => {
    expect(await resolveDevice(db(), { imei: imeiWithTac('35000001') }, withoutDefault)).toMatchObject({
      outcome: 'unsupported',
      reason: 'NO_FORMAT',
      manufacturer: 'Unbranded',
      model: 'Phone',
    });
  });

  it('gives an unknown TAC of a named manufacturer that manufacturer default', async () => {
    const resolution = await resolveDevice(
      db(),
      { imei: imeiWithTac('35999999'), manufacturer: 'NOKIA', model: 'N-Gage' },
      withoutDefault,
    );
    expect(resolution).toMatchObject({
      outcome: 'supported',
      device: {
        manufacturer: 'Nokia',
        model: 'N-Gage',
        modelId: null,
        matchedBy: 'manufacturer-default',
        maxSegments: 6,
      },
    });
  });

  it('finds a model by name when its TAC is not in the catalogue', async () => {
    const resolution = await resolveDevice(
      db(),
      { imei: imeiWithTac('35999998'), manufacturer: 'sony ericsson', model: 'k750I' },
      withoutDefault,
    );
    expect(resolution).toMatchObject({
      outcome: 'supported',
      device: { model: 'K750i', matchedBy: 'model', tac: '35999998' },
    });
  });

  it('falls back to the operator default for a device nobody knows', async () => {
    expect(await resolveDevice(db(), { imei: imeiWithTac('86000000') }, withDefault)).toMatchObject({
      outcome: 'supported',
      device: {
        manufacturer: null,
        model: null,
        modelId: null,
        tac: '86000000',
        matchedBy: 'operator-default',
      },
    });
    expect(await resolveDevice(db(), {}, withDefault)).toMatchObject({
      outcome: 'supported',
      device: { matchedBy: 'operator-default', tac: null },
    });
  });

  it('says unsupported, UNKNOWN_DEVICE, for a device nobody knows when there is no operator default', async () => {
    expect(await resolveDevice(db(), { imei: imeiWithTac('86000000') }, withoutDefault)).toEqual({
      outcome: 'unsupported',
      reason: 'UNKNOWN_DEVICE',
      message: expect.stringContaining('86000000'),
      manufacturer: null,
      model: null,
      tac: '86000000',
    });
  });

  it('says unsupported, FORMAT_NONE, for a model that takes no settings, even with an operator default', async () => {
    expect(await resolveDevice(db(), { imei: imeiWithTac('35012200') }, withDefault)).toMatchObject({
      outcome: 'unsupported',
      reason: 'FORMAT_NONE',
      model: '3310',
      tac: '350122',
    });
  });

  it('says unsupported, FORMAT_NONE, when the manufacturer default says none', async () => {
    expect(await resolveDevice(db(), { imei: imeiWithTac('35590501') }, withDefault)).toMatchObject({
      outcome: 'unsupported',
      reason: 'FORMAT_NONE',
      manufacturer: 'Sony Ericsson',
      model: 'W810i',
    });
    expect(
      await resolveDevice(
        db(),
        { imei: imeiWithTac('35999997'), manufacturer: 'Sony Ericsson' },
        withDefault,
      ),
    ).toMatchObject({ outcome: 'unsupported', reason: 'FORMAT_NONE' });
  });

  it('says unsupported, INVALID_IMEI, for a malformed IMEI or TAC', async () => {
    expect(await resolveDevice(db(), { imei: '352167001234560' }, withDefault)).toMatchObject({
      outcome: 'unsupported',
      reason: 'INVALID_IMEI',
      message: expect.stringContaining('check digit'),
    });
    expect(await resolveDevice(db(), { tac: '1234' }, withDefault)).toMatchObject({
      outcome: 'unsupported',
      reason: 'INVALID_IMEI',
    });
  });
});
