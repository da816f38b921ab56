/**
 * The SyncML message codecs on their own: what the specification's example messages decode to, the
 * model round-tripping through both representations, binary Data, the leniencies a foreign client
 * needs (docs/protocol-dm.md §1, §9) and a typed error for each malformed input.
 */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import {
  dataOctets,
  decodeSyncMl,
  decodeSyncMlWbxml,
  decodeSyncMlXml,
  encodeSyncMl,
  encodeSyncMlWbxml,
  encodeSyncMlXml,
  statusText,
  syncMlEncodingOf,
} from '../../../codecs/syncml/index.ts';
import type { SyncMlMessage } from '../../../codecs/syncml/index.ts';
import { readFixture } from '../../support/fixtures.ts';

const hexOf = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).code;
  }
  throw new Error('expected a CodecError');
}

const header = {
  verDtd: '1.2',
  verProto: 'DM/1.2',
  sessionId: '1',
  msgId: '1',
  target: { locUri: 'https://otagw.example/dm' },
  source: { locUri: 'IMEI:356938035643809' },
};

const wrap = (body: string, head = ''): string =>
  `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>` +
  `<SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI></Target><Source><LocURI>b</LocURI>` +
  `</Source>${head}</SyncHdr><SyncBody>${body}</SyncBody></SyncML>`;

describe("the specification's examples (MR 2.6, test/fixtures/syncml)", () => {
  it('package 1 (MR 2.6.1.1): header, empty Cred, MaxMsgSize, Alert 1200 and the DevInfo Replace', () => {
    const message = decodeSyncMlXml(readFixture('syncml/mr-2.6.1.1-package1.xml'));
    expect(message.header).toEqual({
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: '1',
      msgId: '1',
      target: { locUri: 'http://www.syncml.org/mgmt-server' },
      source: { locUri: 'IMEI:493005100592800' },
      cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: '' },
      meta: { maxMsgSize: 5000 },
    });
    expect(message.body.final).toBe(true);
    const [alert, replace] = message.body.commands;
    expect(alert).toEqual({ kind: 'Alert', cmdId: '1', data: '1200' });
    expect(replace.kind).toBe('Replace');
    if (replace.kind !== 'Replace') return;
    expect(replace.items.map((item) => [item.source?.locUri, item.data])).toEqual([
      ['./DevInfo/DevId', 'IMEI:493005100592800'],
      ['./DevInfo/Man', 'Device Factory, Inc.'],
      ['./DevInfo/Mod', 'SmartPhone2000'],
      ['./DevInfo/DmV', '1.0.0.1'],
      ['./DevInfo/Lang', 'en-US'],
    ]);
    expect(replace.items[0].meta).toEqual({ format: 'chr', type: 'text/plain' });
  });

  it('package 2 (MR 2.6.1.2): Status children in the spec order, a Sequence with Alert 1101 and Replace', () => {
    const message = decodeSyncMlXml(readFixture('syncml/mr-2.6.1.2-package2.xml'));
    const [headerStatus, , , sequence] = message.body.commands;
    expect(headerStatus).toEqual({
      kind: 'Status',
      cmdId: '6',
      msgRef: '1',
      cmdRef: '0',
      cmd: 'SyncHdr',
      targetRefs: ['http://www.syncml.org/mgmt-server'],
      sourceRefs: ['IMEI:493005100592800'],
      data: '212',
    });
    expect(sequence.kind).toBe('Sequence');
    if (sequence.kind !== 'Sequence') return;
    expect(sequence.commands.map((command) => command.kind)).toEqual(['Alert', 'Replace']);
    const [alert, replace] = sequence.commands;
    expect(alert).toEqual({
      kind: 'Alert',
      cmdId: '2',
      data: '1101',
      items: [{}, { data: 'Do you want to add the CNN access point?' }],
    });
    // the Type spans lines in the example: trimmed
    if (replace.kind === 'Replace')
      expect(replace.meta).toEqual({ format: 'b64', type: 'application/vnd.wap.connectivity-wbxml' });
  });

  it('package 3 (MR 2.6.2.3): a SyncHdr Status without CmdRef reads as CmdRef 0 (§9 #12); Results', () => {
    const message = decodeSyncMlXml(readFixture('syncml/mr-2.6.2.3-package3.xml'));
    const [headerStatus, , getStatus, results] = message.body.commands;
    expect(headerStatus).toMatchObject({ kind: 'Status', cmd: 'SyncHdr', cmdRef: '0', data: '212' });
    expect(getStatus).toMatchObject({ cmd: 'Get', cmdRef: '4', targetRefs: ['./antivirus_data/version'] });
    expect(results).toEqual({
      kind: 'Results',
      cmdId: '3',
      msgRef: '1',
      cmdRef: '4',
      items: [{ source: { locUri: './antivirus_data/version' }, data: 'antivirus-inc/20010522b/5' }],
    });
  });

  it('any other Status without CmdRef is refused', () => {
    const xml = wrap('<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><Cmd>Get</Cmd><Data>200</Data></Status>');
    expect(codeOf(() => decodeSyncMlXml(xml))).toBe('SYNCML_MISSING_ELEMENT');
  });
});

/** A message using every field of the model. */
function richMessage(): SyncMlMessage {
  return {
    header: {
      ...header,
      source: { locUri: 'https://otagw.example/dm', locName: 'otagw' },
      target: { locUri: 'IMEI:356938035643809' },
      respUri: 'https://otagw.example/dm?s=1',
      noResp: true,
      cred: { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: '0fd32W+bLjQSuzMtECKpQw==' },
      meta: { maxMsgSize: 8192, maxObjSize: 1 << 20 },
    },
    body: {
      final: false,
      commands: [
        {
          kind: 'Status',
          cmdId: '1',
          msgRef: '1',
          cmdRef: '0',
          cmd: 'SyncHdr',
          targetRefs: ['a'],
          sourceRefs: ['b'],
          chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'AAAA' } },
          data: '401',
          items: [{ data: 'x' }],
        },
        {
          kind: 'Results',
          cmdId: '2',
          msgRef: '1',
          cmdRef: '4',
          meta: { format: 'chr' },
          targetRefs: ['./a'],
          sourceRefs: ['./b'],
          items: [{ source: { locUri: './b' }, data: 'v' }],
        },
        { kind: 'Alert', cmdId: '3', noResp: true, data: '1226', correlator: 'c', items: [{ data: '200' }] },
        {
          kind: 'Add',
          cmdId: '4',
          meta: { type: 'text/plain', size: 10, mark: 'critical', version: '1.0' },
          items: [{ target: { locUri: './x', locName: 'x' }, data: 'chunk', moreData: true }],
        },
        { kind: 'Get', cmdId: '5', items: [{ target: { locUri: './DevDetail?list=Struct' } }] },
        { kind: 'Delete', cmdId: '6', noResp: true, items: [{ target: { locUri: './y' } }] },
        { kind: 'Copy', cmdId: '7', items: [{ target: { locUri: './z' }, source: { locUri: './y' } }] },
        {
          kind: 'Exec',
          cmdId: '8',
          meta: { format: 'chr' },
          correlator: 'fumo-1',
          items: [{ target: { locUri: './FUMO/x/DownloadAndUpdate' }, data: '' }],
        },
        {
          kind: 'Atomic',
          cmdId: '9',
          noResp: true,
          meta: { maxObjSize: 5 },
          commands: [
            { kind: 'Replace', cmdId: '10', items: [{ target: { locUri: './n' }, data: 'näm€ & <x>' }] },
            {
              kind: 'Sequence',
              cmdId: '11',
              commands: [{ kind: 'Alert', cmdId: '12', data: '1100', items: [{}, { data: 'hi' }] }],
            },
          ],
        },
      ],
    },
  };
}

describe('round trips', () => {
  it('every field survives XML and WBXML', () => {
    const message = richMessage();
    expect(decodeSyncMlXml(encodeSyncMlXml(message))).toEqual(message);
    expect(decodeSyncMlWbxml(encodeSyncMlWbxml(message))).toEqual(message);
    expect(decodeSyncMl(encodeSyncMl(message, 'xml')).message).toEqual(message);
    expect(decodeSyncMl(encodeSyncMl(message, 'wbxml'))).toEqual({ message, encoding: 'wbxml' });
  });

  it('writes the XML namespaces of docs/protocol-dm.md §5.1 (1.1 for VerDTD 1.1)', () => {
    const xml = encodeSyncMlXml(richMessage());
    expect(xml.startsWith('<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>')).toBe(true);
    expect(xml).toContain('<Meta><MaxMsgSize xmlns="syncml:metinf">8192</MaxMsgSize>');
    expect(xml).toContain('<Data>näm€ &amp; &lt;x&gt;</Data>');
    const old = { ...richMessage(), header: { ...richMessage().header, verDtd: '1.1' } };
    expect(encodeSyncMlXml(old).startsWith('<SyncML xmlns="SYNCML:SYNCML1.1">')).toBe(true);
  });

  it('WBXML: the header of docs/protocol-dm.md §5.2 and Final as the bare token 12', () => {
    const message = { ...richMessage(), body: { commands: [], final: true } };
    const bytes = encodeSyncMlWbxml(message);
    expect(Buffer.from(bytes.subarray(0, 5)).toString('hex')).toBe('02a4016a00');
    expect(Buffer.from(bytes.subarray(-4)).toString('hex')).toBe('6b120101'); // SyncBody { Final } END END
  });
});

describe('binary Data (docs/protocol-dm.md §5.6)', () => {
  const octets = new Uint8Array([0x00, 0xff, 0x10, 0x80, 0x41]);
  const replaceWith = (format: string | undefined): SyncMlMessage => ({
    header,
    body: {
      final: true,
      commands: [
        {
          kind: 'Replace',
          cmdId: '2',
          items: [
            {
              target: { locUri: './FUMO/x/Update/PkgData' },
              meta: format ? { format } : undefined,
              data: octets,
            },
          ],
        },
      ],
    },
  });
  const firstItem = (message: SyncMlMessage) => {
    const command = message.body.commands[0];
    if (command.kind !== 'Replace') throw new Error('not a Replace');
    return command.items[0];
  };

  it('bin: raw OPAQUE in WBXML, read back as octets', () => {
    const wbxml = encodeSyncMlWbxml(replaceWith('bin'));
    expect(Buffer.from(wbxml).includes(Buffer.from([0xc3, 0x05, ...octets]))).toBe(true);
    expect(firstItem(decodeSyncMlWbxml(wbxml))).toMatchObject({ meta: { format: 'bin' }, data: octets });
  });

  it('bin over XML goes out as base64 under Format b64; dataOctets gives the octets back', () => {
    const xml = encodeSyncMlXml(replaceWith('bin'));
    expect(xml).toContain('<Format xmlns="syncml:metinf">b64</Format>');
    expect(xml).toContain(`<Data>${Buffer.from(octets).toString('base64')}</Data>`);
    const item = firstItem(decodeSyncMlXml(xml));
    expect(item.data).toBe(Buffer.from(octets).toString('base64'));
    expect(dataOctets(item)).toEqual(octets);
  });

  it('b64: base64 text in both; the Format of the command applies to its items', () => {
    const message = replaceWith('b64');
    const fromWbxml = firstItem(decodeSyncMlWbxml(encodeSyncMlWbxml(message)));
    expect(fromWbxml.data).toBe('AP8QgEE=');
    expect(dataOctets(fromWbxml)).toEqual(octets);
    expect(dataOctets({ data: 'AP8QgEE=' }, { format: 'b64' })).toEqual(octets);
    expect(dataOctets({ data: 'AP8QgEE=' })).toEqual(new Uint8Array(Buffer.from('AP8QgEE=')));
    expect(dataOctets({})).toBeUndefined();
  });

  it('octets under any other Format are refused; OPAQUE that is not UTF-8 is kept as octets', () => {
    expect(codeOf(() => encodeSyncMlXml(replaceWith(undefined)))).toBe('SYNCML_BINARY_DATA_FORMAT');
    expect(codeOf(() => encodeSyncMlWbxml(replaceWith('chr')))).toBe('SYNCML_BINARY_DATA_FORMAT');
    // an embedded WBXML document (TNDS) under Type …+wbxml and no Format
    const tnds = new Uint8Array([0x02, 0x00, 0x00, 0x6a, 0x00, 0xe5, 0x01]);
    const wbxml = encodeSyncMlWbxml(replaceWith('bin'));
    const swapped = Buffer.from(wbxml)
      .toString('hex')
      .replace(`c305${Buffer.from(octets).toString('hex')}`, `c307${Buffer.from(tnds).toString('hex')}`)
      .replace(Buffer.from('bin').toString('hex'), Buffer.from('xyz').toString('hex'));
    const item = firstItem(decodeSyncMlWbxml(new Uint8Array(Buffer.from(swapped, 'hex'))));
    expect(item.meta).toEqual({ format: 'xyz' });
    expect(item.data).toEqual(tnds);
  });
});

describe('what foreign clients send (docs/protocol-dm.md §1, §9)', () => {
  it('children in any order, prefixes, <MetInf> wrappers, CDATA, line breaks around values', () => {
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "x.dtd">\n` +
      `<s:SyncML xmlns:s="SYNCML:SYNCML1.2" xmlns:m="syncml:metinf"><s:SyncHdr><s:MsgID>7</s:MsgID>` +
      `<s:Source><s:LocURI>b</s:LocURI></s:Source><s:VerProto>DM/1.2</s:VerProto><s:Target>` +
      `<s:LocURI>\n  a\n</s:LocURI></s:Target><s:SessionID>1</s:SessionID><s:VerDTD>1.2</s:VerDTD>` +
      `<s:Meta><m:MetInf><m:MaxMsgSize> 4096 </m:MaxMsgSize></m:MetInf></s:Meta></s:SyncHdr>` +
      `<s:SyncBody><s:Replace><s:Item><s:Data><![CDATA[a<b]]></s:Data><s:Source><s:LocURI>./x</s:LocURI>` +
      `</s:Source></s:Item><s:CmdID>2</s:CmdID></s:Replace></s:SyncBody></s:SyncML>`;
    const message = decodeSyncMlXml(new Uint8Array(Buffer.from(`\ufeff${xml}`, 'utf8')));
    expect(message.header).toEqual({
      ...header,
      msgId: '7',
      target: { locUri: 'a' },
      source: { locUri: 'b' },
      meta: { maxMsgSize: 4096 },
    });
    expect(message.body).toEqual({
      final: false,
      commands: [{ kind: 'Replace', cmdId: '2', items: [{ source: { locUri: './x' }, data: 'a<b' }] }],
    });
  });

  it('markup inside Data (a TNDS tree in XML) is kept as XML text; elements DM does not use are skipped', () => {
    const xml = wrap(
      '<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target><Meta><Type xmlns="syncml:metinf">' +
        'application/vnd.syncml.dmtnds+xml</Type></Meta><Data><MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD>' +
        '</MgmtTree></Data></Item></Add><Get><CmdID>2</CmdID><Lang>en</Lang><Item><Target><LocURI>./a</LocURI>' +
        '<Filter/></Target></Item></Get><Final/>',
    );
    const [add, get] = decodeSyncMlXml(xml).body.commands;
    expect(add.kind === 'Add' && add.items[0].data).toBe(
      '<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD></MgmtTree>',
    );
    expect(get).toEqual({ kind: 'Get', cmdId: '2', items: [{ target: { locUri: './a' } }] });
  });

  it('SyncML commands DM does not use become Unsupported (so the server can answer 406), never encoded', () => {
    const xml = wrap(
      '<Sync><CmdID>4</CmdID></Sync><Sequence><CmdID>5</CmdID><Results><CmdID>6</CmdID><CmdRef>1</CmdRef>' +
        '<Item/></Results></Sequence>',
    );
    const commands = decodeSyncMlXml(xml).body.commands;
    expect(commands).toEqual([
      { kind: 'Unsupported', element: 'Sync', cmdId: '4' },
      { kind: 'Sequence', cmdId: '5', commands: [{ kind: 'Unsupported', element: 'Results', cmdId: '6' }] },
    ]);
    const message: SyncMlMessage = { header, body: { final: true, commands: [commands[0]] } };
    expect(codeOf(() => encodeSyncMlXml(message))).toBe('SYNCML_UNENCODABLE_COMMAND');
  });
});

describe('what foreign clients send: WBXML and transport', () => {
  it("encodes libdmclient's package 1 to the bytes DMC put on the wire (docs/protocol-dm.md §5.5, ORC)", () => {
    const capture =
      '02a4016a00' +
      `6d6c7103${hexOf('1.2')}0001` +
      `7203${hexOf('DM/1.2')}0001` +
      `6503${hexOf('1')}0001` +
      `5b03${hexOf('1')}0001` +
      `6e5703${hexOf('http://127.0.0.1:18080/dm')}000101` +
      `675703${hexOf('DMCtest')}000101` +
      `4e5a00014703${hexOf('b64')}00015303${hexOf('syncml:auth-basic')}0001010000` +
      `4f03${hexOf('ZG11c2VyOmRtcGFzcw==')}000101` +
      `5a00014c03${hexOf('16384')}000101010000` +
      `6b464b03${hexOf('1')}00014f03${hexOf('1201')}000101` +
      '60'; // <Replace> — the capture is trimmed here
    const message: SyncMlMessage = {
      header: {
        verDtd: '1.2',
        verProto: 'DM/1.2',
        sessionId: '1',
        msgId: '1',
        target: { locUri: 'http://127.0.0.1:18080/dm' },
        source: { locUri: 'DMCtest' },
        cred: { meta: { format: 'b64', type: 'syncml:auth-basic' }, data: 'ZG11c2VyOmRtcGFzcw==' },
        meta: { maxMsgSize: 16384 },
      },
      body: {
        final: true,
        commands: [
          { kind: 'Alert', cmdId: '1', data: '1201' },
          {
            kind: 'Replace',
            cmdId: '2',
            items: [
              { source: { locUri: './DevInfo/Man' }, meta: { format: 'chr' }, data: 'test manufacturer' },
            ],
          },
        ],
      },
    };
    const ours = Buffer.from(encodeSyncMlWbxml(message)).toString('hex');
    expect(ours.startsWith(capture)).toBe(true);
    expect(decodeSyncMlWbxml(encodeSyncMlWbxml(message))).toEqual(message);
  });
});

describe('what foreign clients send: other WBXML writers', () => {
  it('WBXML: the public id as FPI text in the string table, SyncML 1.1, OPAQUE LocURI', () => {
    const fpi = Buffer.from('-//SYNCML//DTD SyncML 1.2//EN\0', 'latin1');
    const short = { ...header, target: { locUri: 'a' } };
    const minimal = encodeSyncMlWbxml({ header: short, body: { commands: [], final: true } });
    const body = minimal.subarray(5);
    const withFpi = Buffer.concat([Buffer.from([0x02, 0x00, 0x00, 0x6a, fpi.length]), fpi, body]);
    expect(decodeSyncMlWbxml(withFpi).header).toEqual(short);
    const v11 = Buffer.concat([Buffer.from([0x02, 0x9f, 0x53, 0x6a, 0x00]), body]);
    expect(decodeSyncMlWbxml(v11).body.final).toBe(true);
    // LocURI as OPAQUE text (a server that sends every string as OPAQUE, docs/protocol-dm.md §5.5)
    const opaque = Buffer.from(
      Buffer.from(minimal).toString('hex').replace('0361000101', 'c301610101'),
      'hex',
    );
    expect(Buffer.from(minimal).toString('hex')).toContain('0361000101');
    expect(decodeSyncMlWbxml(new Uint8Array(opaque)).header.target).toEqual({ locUri: 'a' });
  });

  it('tells XML from WBXML by the first octet, else by Content-Type (DM and DS types, §9 #2)', () => {
    const octet = (value: number) => new Uint8Array([value]);
    // the body decides: no WBXML starts with "<", no XML with a version octet
    expect(syncMlEncodingOf('application/vnd.syncml.dm+wbxml', octet(0x3c))).toBe('xml');
    expect(syncMlEncodingOf('application/vnd.syncml+xml; charset=UTF-8', octet(0x02))).toBe('wbxml');
    expect(syncMlEncodingOf('application/octet-stream', octet(0x02))).toBe('wbxml');
    expect(syncMlEncodingOf(undefined, octet(0x3c))).toBe('xml');
    // otherwise the type names it
    expect(syncMlEncodingOf('Application/Vnd.SyncML.DM+XML', octet(0x7b))).toBe('xml');
    expect(syncMlEncodingOf('application/vnd.syncml+wbxml', new Uint8Array(0))).toBe('wbxml');
    expect(syncMlEncodingOf(undefined, new Uint8Array(0))).toBeUndefined();
    expect(syncMlEncodingOf('text/plain', octet(0x7b))).toBeUndefined();
    expect(codeOf(() => decodeSyncMl(octet(0x7b), 'text/plain'))).toBe('SYNCML_UNKNOWN_ENCODING');
  });

  it('status codes in words', () => {
    expect(statusText('212')).toBe('authentication accepted');
    expect(statusText('425')).toBe('permission denied');
    expect(statusText('299')).toBe('status 299');
  });
});

describe('malformed messages: a typed error naming what is wrong', () => {
  const cases: Array<[string, string, string]> = [
    ['not SyncML', '<wap-provisioningdoc/>', 'SYNCML_NOT_SYNCML'],
    ['no SyncBody', '<SyncML><SyncHdr/></SyncML>', 'SYNCML_MISSING_ELEMENT'],
    ['header without MsgID', wrap('').replace('<MsgID>1</MsgID>', ''), 'SYNCML_MISSING_ELEMENT'],
    [
      'two SessionIDs',
      wrap('').replace('<MsgID>', '<SessionID>2</SessionID><MsgID>'),
      'SYNCML_DUPLICATE_ELEMENT',
    ],
    [
      'MaxMsgSize not a number',
      wrap('', '<Meta><MaxMsgSize>big</MaxMsgSize></Meta>'),
      'SYNCML_INVALID_NUMBER',
    ],
    [
      'negative Size',
      wrap('<Add><CmdID>1</CmdID><Meta><Size>-1</Size></Meta><Item/></Add>'),
      'SYNCML_INVALID_NUMBER',
    ],
    ['Replace without Item', wrap('<Replace><CmdID>1</CmdID></Replace>'), 'SYNCML_MISSING_ELEMENT'],
    ['Exec with two Items', wrap('<Exec><CmdID>1</CmdID><Item/><Item/></Exec>'), 'SYNCML_BAD_ITEM_COUNT'],
    ['Alert without Data', wrap('<Alert><CmdID>1</CmdID></Alert>'), 'SYNCML_MISSING_ELEMENT'],
    ['command without CmdID', wrap('<Get><Item/></Get>'), 'SYNCML_MISSING_ELEMENT'],
    ['empty Atomic', wrap('<Atomic><CmdID>1</CmdID></Atomic>'), 'SYNCML_MISSING_ELEMENT'],
    ['a LocURI in SyncBody', wrap('<LocURI>x</LocURI>'), 'SYNCML_UNEXPECTED_ELEMENT'],
    ['an element inside CmdID', wrap('<Get><CmdID><b/></CmdID><Item/></Get>'), 'SYNCML_UNEXPECTED_ELEMENT'],
    [
      'Chal without Meta',
      wrap(
        '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Chal/><Data>401</Data></Status>',
      ),
      'SYNCML_MISSING_ELEMENT',
    ],
    ['broken XML', '<SyncML><SyncHdr>', 'XML_MALFORMED'],
  ];
  for (const [what, xml, code] of cases) {
    it(what, () => expect(codeOf(() => decodeSyncMlXml(xml))).toBe(code));
  }

  it('XML octets that are not UTF-8', () => {
    expect(codeOf(() => decodeSyncMlXml(new Uint8Array([0x3c, 0xff, 0x3e])))).toBe('SYNCML_INVALID_TEXT');
  });

  it('WBXML: foreign public id, unknown token, attributes, trailing bytes, truncation, bad charset', () => {
    const good = encodeSyncMlWbxml({ header, body: { commands: [], final: true } });
    const at = (index: number, value: number) => {
      const copy = good.slice();
      copy[index] = value;
      return copy;
    };
    expect(
      codeOf(() =>
        decodeSyncMlWbxml(Buffer.concat([Buffer.from([0x03, 0x0b, 0x6a, 0x00]), good.subarray(5)])),
      ),
    ).toBe('WBXML_UNKNOWN_PUBLIC_ID');
    expect(codeOf(() => decodeSyncMlWbxml(at(5, 0x7f)))).toBe('WBXML_UNKNOWN_TOKEN');
    expect(codeOf(() => decodeSyncMlWbxml(at(5, 0xed)))).toBe('WBXML_UNEXPECTED_TOKEN');
    expect(codeOf(() => decodeSyncMlWbxml(Buffer.concat([good, Buffer.from([0x01])])))).toBe(
      'WBXML_TRAILING_BYTES',
    );
    expect(codeOf(() => decodeSyncMlWbxml(good.subarray(0, good.length - 3)))).toBe('TRUNCATED');
    expect(codeOf(() => decodeSyncMlWbxml(at(3, 0x70)))).toBe('WBXML_UNSUPPORTED_CHARSET');
    expect(codeOf(() => decodeSyncMlWbxml(at(0, 0x04)))).toBe('WBXML_UNSUPPORTED_VERSION');
    expect(codeOf(() => decodeSyncMlWbxml(new Uint8Array(0)))).toBe('TRUNCATED');
  });
});

describe('encoding refuses what it cannot say, typed', () => {
  it('a model built outside the type checker: a typed error, not a TypeError', () => {
    const broken = (commands: unknown[]) =>
      JSON.parse(JSON.stringify({ header, body: { final: true, commands } })) as SyncMlMessage;
    for (const message of [broken([{ kind: 'Get', items: [{}] }]), broken([{ kind: 'Get', cmdId: '1' }])]) {
      expect(codeOf(() => encodeSyncMlXml(message))).toBe('SYNCML_INVALID_MODEL');
      expect(codeOf(() => encodeSyncMlWbxml(message))).toBe('SYNCML_INVALID_MODEL');
    }
    expect(codeOf(() => encodeSyncMlXml({ body: { commands: [] } } as unknown as SyncMlMessage))).toBe(
      'SYNCML_INVALID_MODEL',
    );
  });

  it('encoding: a negative MaxMsgSize, a NUL in a string', () => {
    const bad = { header: { ...header, meta: { maxMsgSize: -5 } }, body: { commands: [], final: true } };
    expect(codeOf(() => encodeSyncMlXml(bad))).toBe('SYNCML_INVALID_NUMBER');
    const nul = { header: { ...header, sessionId: 'a\u0000b' }, body: { commands: [], final: true } };
    expect(codeOf(() => encodeSyncMlWbxml(nul))).toBe('WBXML_NUL_IN_STRING');
    expect(codeOf(() => encodeSyncMlXml(nul))).toBe('XML_UNREPRESENTABLE_CHARACTER');
  });
});
