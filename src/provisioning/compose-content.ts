/**
 * The worker's side of an SI/SL push (software download): the document for the provisioning's content,
 * encoded and split into the SMS of an unsigned WAP push (SI and SL carry no SEC/MAC, docs/protocol.md
 * §3.1, §8). Used by deliver.ts in place of the profile composition when a provisioning has content.
 */
import { compileDocument, packCompiled } from '../../codecs/ota/pack.ts';
import type { SegmentMode, OutboundPush } from '../connectors/types.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import { contentDocument, unsupportedContentReason } from './push-content.ts';
import type { PushContent } from './types.ts';

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
  const count = packed.segments.length;
  if (device.maxSegments !== null && count > device.maxSegments) {
    return {
      ok: false,
      code: 'TOO_MANY_SEGMENTS',
      message: `the ${content.kind.toUpperCase()} push needs ${count} SMS; the device reassembles at most ${device.maxSegments}`,
      details: { segments: count, maxSegments: device.maxSegments },
    };
  }
  return { ok: true, segments: packed.segments };
}
