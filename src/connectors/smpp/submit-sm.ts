/**
 * submit_sm fields for one segment (SMPP 3.4 §4.4.1, docs/protocol.md §6.4), in UDH or TLV mode (docs/protocol.md §5.3–5.4).
 * The connector decides every SMPP field: data_coding and registered_delivery from what the push says it is
 * (`kind`, `receipts`; types.ts) and the SMSC's settings, esm_class from the settings and the segment's UDHI.
 */
import type { PduFields } from 'smpp';
import type { SmscConfig } from '../config.ts';
import type { OutboundPush, SmsSegment } from '../types.ts';
import {
  DATA_CODING_SMSC_DEFAULT,
  DATA_CODING_UCS2,
  ESM_CLASS_UDHI,
  REGISTERED_DELIVERY_NONE,
  USSD_SERVICE_OPS,
} from './protocol.ts';

/** GSM TP-UD holds 140 octets; SMPP short_message up to 254 (docs/protocol.md §5.2, §6.4). */
const MAX_SHORT_MESSAGE = 254;

export class SubmitSmBuildError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SubmitSmBuildError';
    this.code = code;
  }
}

/**
 * Relative validity period `YYMMDDhhmmss000R` (SMPP 3.4 §7.1.1; docs/protocol.md §6.4): the fields are a duration.
 * Durations over 99 days are capped.
 */
export function relativeValidityPeriod(minutes: number): string {
  const totalMinutes = Math.max(1, Math.round(minutes));
  const days = Math.min(99, Math.floor(totalMinutes / 1440));
  const hours = days === 99 ? 0 : Math.floor((totalMinutes % 1440) / 60);
  const mins = days === 99 ? 0 : totalMinutes % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `0000${two(days)}${two(hours)}${two(mins)}00000R`;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The static part of submit_sm for an SMSC, computed once. */
export function submitSmTemplate(config: SmscConfig): PduFields {
  return {
    service_type: config.serviceType,
    source_addr_ton: config.sourceTon,
    source_addr_npi: config.sourceNpi,
    source_addr: config.sourceAddr,
    dest_addr_ton: config.destTon,
    dest_addr_npi: config.destNpi,
    protocol_id: config.protocolId,
    priority_flag: config.priorityFlag,
    schedule_delivery_time: '',
    replace_if_present_flag: 0,
    sm_default_msg_id: 0,
  };
}

/**
 * data_coding for the push, by its `kind`: a WAP push (the default) with the SMSC's configured data coding,
 * text by its alphabet: GSM 7-bit as the SMSC default alphabet, or UCS-2 (SMPP 3.4 §5.2.19).
 */
export function dataCodingFor(config: SmscConfig, push: OutboundPush): number {
  if (push.kind !== 'text') return config.dataCoding;
  return push.alphabet === 'ucs2' ? DATA_CODING_UCS2 : DATA_CODING_SMSC_DEFAULT;
}

/**
 * An answer to a USSD request goes in the subscriber's USSD session (pssr-response, SMPP 3.4 §5.3.2.44)
 * when the SMSC carries USSD; otherwise it is an ordinary SMS.
 */
export function answersInUssdSession(config: SmscConfig, push: OutboundPush): boolean {
  return push.ussdAnswer === true && push.kind === 'text' && config.ussd;
}

/**
 * registered_delivery for each segment, by `receipts`: as the SMSC is configured to be asked (the default),
 * or none.
 */
export function registeredDeliveryFor(config: SmscConfig, push: OutboundPush): number {
  return push.receipts === 'none' ? REGISTERED_DELIVERY_NONE : config.registeredDelivery;
}

/** Throws SubmitSmBuildError when the segment cannot be sent as configured (a bug on our side). */
export function buildSubmitSm(
  template: PduFields,
  config: SmscConfig,
  push: OutboundPush,
  segment: SmsSegment,
): PduFields {
  const fields: PduFields = {
    ...template,
    source_addr: push.source ?? template.source_addr,
    destination_addr: push.destination,
    esm_class: config.esmClass,
    validity_period: push.validityMinutes === undefined ? '' : relativeValidityPeriod(push.validityMinutes),
    registered_delivery: registeredDeliveryFor(config, push),
    data_coding: dataCodingFor(config, push),
  };
  if (answersInUssdSession(config, push)) fields.ussd_service_op = USSD_SERVICE_OPS['pssr-response'];
  // Plain text carries no port addressing: it goes as it is in either segment mode.
  if (config.segmentMode === 'udh' || push.kind === 'text') return withUdhMode(fields, config, segment);
  return withTlvMode(fields, segment);
}

/** The UDH (if any) stays in short_message, flagged by UDHI (docs/protocol.md §5.3). */
function withUdhMode(fields: PduFields, config: SmscConfig, segment: SmsSegment): PduFields {
  if (!segment.udhi && segment.tlv) {
    // made for an SMSC that builds the UDH from TLVs: sent here, it would arrive without port addressing
    throw new SubmitSmBuildError('SEGMENT_MODE_MISMATCH', `segment ${segment.index} was made for TLV mode`);
  }
  if (segment.tpud.length > MAX_SHORT_MESSAGE) {
    throw new SubmitSmBuildError(
      'SEGMENT_TOO_LONG',
      `segment ${segment.index} has ${segment.tpud.length} octets`,
    );
  }
  fields.short_message = toBuffer(segment.tpud);
  if (segment.udhi) fields.esm_class = config.esmClass | ESM_CLASS_UDHI;
  return fields;
}

/**
 * TLV mode: the SMSC builds the UDH from port and SAR TLVs; no UDHI, no UDH in the payload (docs/protocol.md
 * §5.4). A UDH-mode segment that also carries its TLV addressing is sent without its UDH.
 */
function withTlvMode(fields: PduFields, segment: SmsSegment): PduFields {
  if (!segment.tlv) {
    throw new SubmitSmBuildError('SEGMENT_WITHOUT_TLV', `segment ${segment.index} has no TLV addressing`);
  }
  const udhLength = segment.udhi && segment.tpud.length > 0 ? segment.tpud[0] + 1 : 0; // UDHL + its IEs
  const payload = segment.tpud.subarray(udhLength);
  if (payload.length > MAX_SHORT_MESSAGE) {
    throw new SubmitSmBuildError('SEGMENT_TOO_LONG', `segment ${segment.index} has ${payload.length} octets`);
  }
  fields.short_message = toBuffer(payload);
  fields.source_port = segment.tlv.sourcePort;
  fields.dest_port = segment.tlv.destinationPort;
  if (segment.tlv.sarTotalSegments !== undefined && segment.tlv.sarTotalSegments > 1) {
    fields.sar_msg_ref_num = segment.tlv.sarMsgRefNum ?? segment.reference;
    fields.sar_total_segments = segment.tlv.sarTotalSegments;
    fields.sar_segment_seqnum = segment.tlv.sarSegmentSeqnum ?? segment.index;
  }
  return fields;
}
