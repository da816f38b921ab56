/**
 * The worker's side of an SI/SL push (software download): the document for the provisioning's content,
 * encoded and split into the SMS of an unsigned WAP push (SI and SL carry no SEC/MAC, docs/protocol.md
 * §3.1, §8). Used by deliver.ts in place of the profile composition when a provisioning has content.
 */
import { compileDocument, packCompiled } from '../../codecs/ota/pack.ts';
import { WAP_CL_SESSION_PORT, WAP_PUSH_PORT } from '../../codecs/sms/ports.ts';
import { segmentDatagram } from '../../codecs/sms/segment.ts';
import { encodeWspPush } from '../../codecs/wsp/encode-wsp-push.ts';
import { APPLICATION_IDS, MEDIA_TYPES } from '../../codecs/wsp/tables.ts';
import type { SegmentMode, OutboundPush } from '../connectors/types.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import { contentDocument, unsupportedContentReason } from './push-content.ts';
import type { DmNotificationContent, PushContent } from './types.ts';

export type ContentComposition =
  | { ok: true; segments: OutboundPush['segments'] }
  | {
      ok: false;
      code: 'UNSUPPORTED_CONTENT' | 'TOO_MANY_SEGMENTS';
      message: string;
      details: Record<string, unknown>;
    };

/**
 * The SMS of the content's push for this handset, or why it cannot have one: the catalogue does not
 * list the capability (UNSUPPORTED_CONTENT), or the push needs more SMS than the handset reassembles.
 */
export function composeContent(
  content: PushContent,
  device: ResolvedDevice,
  signing: { mode: SegmentMode; reference: number },
): ContentComposition {
  // The DM server holds an account for the handset: it has a DM client, whatever the catalogue says.
  if (content.kind === 'dm-notification')
    return fitted(dmNotificationSegments(content, signing), device, content.kind);
  const reason = unsupportedContentReason(device, content.kind);
  if (reason !== undefined) {
    return {
      ok: false,
      code: 'UNSUPPORTED_CONTENT',
      message: reason,
      details: { reason, kind: content.kind },
    };
  }
  const packed = packCompiled(compileDocument(contentDocument(content)), { sec: 'none', ...signing });
  return fitted(packed.segments, device, content.kind);
}

function fitted(
  segments: OutboundPush['segments'],
  device: ResolvedDevice,
  kind: PushContent['kind'],
): ContentComposition {
  const count = segments.length;
  if (device.maxSegments !== null && count > device.maxSegments) {
    return {
      ok: false,
      code: 'TOO_MANY_SEGMENTS',
      message: `the ${kind.toUpperCase()} push needs ${count} SMS; the device reassembles at most ${device.maxSegments}`,
      details: { segments: count, maxSegments: device.maxSegments },
    };
  }
  return { ok: true, segments };
}

/**
 * Package #0 as a WAP push (docs/protocol.md §9.2): content type application/vnd.syncml.notification,
 * X-Wap-Application-Id syncml.dm, port 2948; no SEC/MAC, the package carries its own digest.
 */
function dmNotificationSegments(
  content: DmNotificationContent,
  signing: { mode: SegmentMode; reference: number },
): OutboundPush['segments'] {
  const wsp = encodeWspPush({
    transactionId: 1,
    contentType: { mediaType: MEDIA_TYPES.dmNotification, parameters: [] },
    applicationId: APPLICATION_IDS.syncmlDm,
    body: new Uint8Array(Buffer.from(content.body, 'base64')),
  });
  return segmentDatagram(wsp, {
    destinationPort: WAP_PUSH_PORT,
    sourcePort: WAP_CL_SESSION_PORT,
    reference: signing.reference,
    mode: signing.mode,
  });
}
