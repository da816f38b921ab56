/**
 * The one document bench:vs-kannel sends through both gateways, and the check that what reached the SMSC
 * is a well-formed push of it.
 *
 * otagw composes it: the `one` bench profile `bench-one` (support/mix.ts, the catch-all rule) for a
 * Nokia N95 (TAC 35698001, OMA CP, every capability) in group default, signed NETWPIN: one segment.
 * Kannel gets the XML otagw renders from the same parameters (renderProfile + serializeXml, what the
 * worker's PushComposer encodes), with the XML declaration and the PROV 1.0 DOCTYPE: without the DOCTYPE
 * Kannel 1.4.5's compiler encodes no `type`/`version` attributes and a public id of 0x01 (seen here).
 *
 * The check takes a submit_sm's TP-UD as the simulator read it: UDH (WDP ports 2948 -> 2948, TS 23.040
 * §9.2.3.24.4; docs/protocol.md §5.1), WSP Push (docs/protocol.md §4.1) with content type
 * application/vnd.wap.connectivity-wbxml, SEC NETWPIN and a MAC that verifies with the IMSI
 * (docs/protocol.md §3.2; a MAC keyed with the IMSI's ASCII digits is reported as such: Kannel 1.4.5 keys
 * NETWPIN with the `pin` octets as given, so only a GET with the EF_IMSI octets percent-encoded as `pin`
 * gives a MAC a handset accepts), and the WBXML, decoded to its parameters with libwbxml's `wbxml2xml` when it is
 * installed (else otagw's own decoder, and it says so).
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyMac } from '../../codecs/ota/security.ts';
import { decodeUdh } from '../../codecs/sms/udh.ts';
import { decodeWbxml } from '../../codecs/wbxml/decode-wbxml.ts';
import { decodeWspPush } from '../../codecs/wsp/decode-wsp-push.ts';
import { serializeXml } from '../../codecs/xml/serialize-xml.ts';
import { isElement, type XmlElement } from '../../codecs/xml/element.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { parseProfileParameters } from '../../src/profiles/schema.ts';
import { PROFILES } from './mix.ts';

/** The handset every otagw trigger names: Nokia N95, OMA CP (config/devices.csv). */
export const BENCH_TAC = '35698001';
export const BENCH_MODEL = 'Nokia N95 (TAC 35698001, OMA CP)';
export const BENCH_PROFILE = 'bench-one';

const PROV_DOCTYPE =
  '<!DOCTYPE wap-provisioningdoc PUBLIC "-//WAPFORUM//DTD PROV 1.0//EN" "http://www.wapforum.org/DTD/prov.dtd">';

/** The OMA CP document of the bench-one profile, as XML for Kannel's sendota. */
export function benchDocumentXml(): string {
  const profile = PROFILES.one.find((entry) => entry.name === BENCH_PROFILE)!;
  const rendered = renderProfile(parseProfileParameters(profile.parameters), { format: 'oma-cp' });
  return `<?xml version="1.0"?>\n${PROV_DOCTYPE}\n${serializeXml(rendered.root)}\n`;
}

/**
 * The i-th SIM of a run: unique IMSI (MCC 262 MNC 03: apart from the other benches' 26201 and the
 * subscriber base's 90170), MSISDN, and an N95 IMEI with its Luhn digit. `offset` keeps runs apart.
 */
export function benchSim(index: number, offset = 0): { imsi: string; msisdn: string; imei: string } {
  const n = String(offset + index).padStart(9, '0');
  const body = BENCH_TAC + String((offset + index) % 1_000_000).padStart(6, '0');
  return { imsi: `262030${n}`, msisdn: `4917${n}`, imei: body + String(luhnCheckDigit(body)) };
}

export interface PushCheck {
  ok: boolean;
  problems: string[];
  ports?: string;
  contentType?: string;
  sec?: string;
  /** the MAC verifies with the EF_IMSI key (OMA ProvSec; docs/protocol.md §3.3) */
  macVerified?: boolean;
  /** which key the MAC verifies with: the spec's, or the IMSI's ASCII digits (what Kannel 1.4.5 does with a POST's X-Kannel-PIN) */
  macKey?: 'EF_IMSI semi-octets' | 'IMSI ASCII digits' | 'neither';
  wbxmlOctets?: number;
  wbxmlHex?: string;
  /** every parm as `CHARACTERISTIC/.../NAME=VALUE`, in document order */
  parameters?: string[];
  decoder?: string;
}

/** The parameters of a provisioning document: characteristic path and parm name=value. */
export function documentParameters(root: XmlElement): string[] {
  const out: string[] = [];
  const walk = (element: XmlElement, path: string[]): void => {
    for (const child of element.children.filter(isElement)) {
      const name = child.name.toLowerCase();
      const attr = (key: string): string =>
        child.attributes.find(([attrName]) => attrName.toLowerCase() === key)?.[1] ?? '';
      if (name === 'characteristic') walk(child, [...path, attr('type')]);
      else if (name === 'parm') out.push(`${path.join('/')}/${attr('name')}=${attr('value')}`);
    }
  };
  walk(root, []);
  return out;
}

function hasWbxml2xml(): boolean {
  try {
    execFileSync('wbxml2xml', [], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // it exits non-zero without arguments; only a missing binary is ENOENT
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** The document's parameters: libwbxml's wbxml2xml when installed, else otagw's decoder. */
export function decodeParameters(wbxml: Uint8Array): { parameters: string[]; decoder: string } {
  if (hasWbxml2xml()) {
    const dir = mkdtempSync(join(tmpdir(), 'otagw-bench-wbxml-'));
    try {
      writeFileSync(join(dir, 'in.wbxml'), wbxml);
      execFileSync('wbxml2xml', ['-o', join(dir, 'out.xml'), join(dir, 'in.wbxml')], { stdio: 'ignore' });
      const xml = readFileSync(join(dir, 'out.xml'), 'utf8').replace(/<!DOCTYPE[^>]*>/, '');
      return { parameters: documentParameters(parseXml(xml)), decoder: 'wbxml2xml (libwbxml)' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    parameters: documentParameters(decodeWbxml(wbxml).root),
    decoder: 'otagw decodeWbxml (no wbxml2xml)',
  };
}

/** Checks one single-segment push's TP-UD (hex, as SubmitSample gives it) signed NETWPIN for `imsi`. */
export function checkPush(shortMessageHex: string, imsi: string): PushCheck {
  const problems: string[] = [];
  const check: PushCheck = { ok: false, problems };
  try {
    const udh = decodeUdh(Buffer.from(shortMessageHex, 'hex'));
    const ports = udh.elements.find((element) => element.type === 'ports16' || element.type === 'ports8');
    if (udh.elements.some((element) => element.type === 'concat8' || element.type === 'concat16'))
      problems.push('a concatenation element: not a one-segment push');
    const destination = ports && 'destinationPort' in ports ? ports.destinationPort : undefined;
    check.ports = ports && 'sourcePort' in ports ? `${ports.sourcePort} -> ${destination}` : 'none';
    if (destination !== 2948) problems.push(`WDP destination port ${destination ?? 'missing'}, not 2948`);
    const push = decodeWspPush(udh.payload);
    check.contentType = push.contentType.mediaType;
    if (push.contentType.mediaType !== 'application/vnd.wap.connectivity-wbxml')
      problems.push(`content type ${push.contentType.mediaType}`);
    const sec = push.contentType.parameters.find((parameter) => parameter.name === 'sec')?.value;
    const mac = push.contentType.parameters.find((parameter) => parameter.name === 'mac')?.value;
    check.sec = sec === 0 ? 'NETWPIN' : String(sec);
    if (sec !== 0) problems.push(`SEC ${String(sec)}, not NETWPIN (0)`);
    const macText = typeof mac === 'string' ? mac.toUpperCase() : undefined;
    check.macVerified = verifyMac('NETWPIN', { imsi }, push.body, macText);
    const asciiMac = createHmac('sha1', Buffer.from(imsi, 'latin1')).update(push.body).digest('hex');
    check.macKey = check.macVerified
      ? 'EF_IMSI semi-octets'
      : macText === asciiMac.toUpperCase()
        ? 'IMSI ASCII digits'
        : 'neither';
    if (check.macKey === 'neither') problems.push('MAC does not verify with the IMSI');
    check.wbxmlOctets = push.body.length;
    check.wbxmlHex = Buffer.from(push.body).toString('hex');
    const { parameters, decoder } = decodeParameters(push.body);
    check.parameters = parameters;
    check.decoder = decoder;
    if (parameters.length === 0) problems.push('no parameters in the document');
  } catch (error) {
    problems.push(`does not decode: ${(error as Error).message}`);
  }
  check.ok = problems.length === 0;
  return check;
}
