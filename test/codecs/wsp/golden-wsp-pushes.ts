/**
 * Golden WSP push PDUs: the header blocks of docs/protocol.md §4.6 (TID 01 where §4.6 shows xx), the §4.7
 * worked example and smsj's Nokia OTA vector from test/fixtures/public-vectors.json, each with the structure it
 * decodes to. Shared by the codec tests and the random/truncation tests.
 */
import { fromHex } from '../../../codecs/bytes/hex.ts';
import type { WspPush } from '../../../codecs/wsp/encode-wsp-push.ts';
import { MEDIA_TYPES, APPLICATION_IDS } from '../../../codecs/wsp/tables.ts';
import { publicVectors } from '../../support/fixtures.ts';

/** Hex of an ASCII string quoted in docs/protocol.md (e.g. a text content type), for writing vectors down. */
export const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

export const GK_NETWPIN_MAC = '1AF545FE2823DC9347064450F90FF1BBF957E146'; // docs/protocol.md §3.3, Gecko test vector
export const EMPTY_PROV_DOC = '030b6a004501'; // docs/protocol.md §3.3 / §4.7

export interface GoldenPush {
  name: string;
  source: string;
  hex: string;
  push: WspPush;
}

const empty = new Uint8Array(0);

/** Header blocks of docs/protocol.md §4.6 (TID 01 where §4.6 shows xx), the §4.7 worked example, and smsj's vector. */
export const GOLDEN_WSP_PUSHES: GoldenPush[] = [
  {
    name: 'OMA CP signed with NETWPIN (worked example)',
    source: 'docs/protocol.md §4.7 (MAC = Gecko test_cp_hmac_networkpin)',
    hex: '01062f1f2db6918092' + ascii(GK_NETWPIN_MAC) + '00' + EMPTY_PROV_DOC,
    push: {
      transactionId: 1,
      contentType: {
        mediaType: MEDIA_TYPES.omaCp,
        parameters: [
          { name: 'sec', value: 0 },
          { name: 'mac', value: GK_NETWPIN_MAC },
        ],
      },
      body: fromHex(EMPTY_PROV_DOC),
    },
  },
  ...[1, 2, 3].map((sec): GoldenPush => ({
    name: `OMA CP signed with SEC=${sec}`,
    source: 'docs/protocol.md §4.6 row "OMA CP, signed" (91 8s)',
    hex: `01062f1f2db691${(0x80 | sec).toString(16)}92` + ascii(GK_NETWPIN_MAC) + '00',
    push: {
      transactionId: 1,
      contentType: {
        mediaType: MEDIA_TYPES.omaCp,
        parameters: [
          { name: 'sec', value: sec },
          { name: 'mac', value: GK_NETWPIN_MAC },
        ],
      },
      body: empty,
    },
  })),
  {
    name: 'OMA CP unsigned',
    source: 'docs/protocol.md §4.6',
    hex: '010601b6',
    push: { transactionId: 1, contentType: { mediaType: MEDIA_TYPES.omaCp, parameters: [] }, body: empty },
  },
  {
    name: 'SI',
    source: 'docs/protocol.md §4.6 (Gammu GSM_EncodeWAPIndicatorSMSText)',
    hex: '010601ae',
    push: { transactionId: 1, contentType: { mediaType: MEDIA_TYPES.si, parameters: [] }, body: empty },
  },
  {
    name: 'SI with the wml.ua application id',
    source: 'docs/protocol.md §4.6',
    hex: '010603aeaf82',
    push: {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.si, parameters: [] },
      applicationId: APPLICATION_IDS.wmlUserAgent,
      body: empty,
    },
  },
  {
    name: 'SI with charset',
    source: 'docs/protocol.md §4.6',
    hex: '25060403ae81ea',
    push: {
      transactionId: 0x25,
      contentType: { mediaType: MEDIA_TYPES.si, parameters: [{ name: 'charset', value: 'utf-8' }] },
      body: empty,
    },
  },
  {
    name: 'SL',
    source: 'docs/protocol.md §4.6',
    hex: '010601b0',
    push: { transactionId: 1, contentType: { mediaType: MEDIA_TYPES.sl, parameters: [] }, body: empty },
  },
  {
    name: 'SL with the wml.ua application id',
    source: 'docs/protocol.md §4.6',
    hex: '010603b0af82',
    push: {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.sl, parameters: [] },
      applicationId: APPLICATION_IDS.wmlUserAgent,
      body: empty,
    },
  },
  {
    name: 'Nokia OTA settings',
    source: 'docs/protocol.md §4.6 (Kannel ota_prov.c, Gammu, smsj)',
    hex: '01062c1f2a' + ascii(MEDIA_TYPES.nokiaBrowserSettings) + '0081ea',
    push: {
      transactionId: 1,
      contentType: {
        mediaType: MEDIA_TYPES.nokiaBrowserSettings,
        parameters: [{ name: 'charset', value: 'utf-8' }],
      },
      body: empty,
    },
  },
  {
    name: 'Nokia OTA bookmarks',
    source: 'docs/protocol.md §4.6 (Kannel, Gammu)',
    hex: '01062d1f2b' + ascii(MEDIA_TYPES.nokiaBrowserBookmarks) + '0081ea',
    push: {
      transactionId: 1,
      contentType: {
        mediaType: MEDIA_TYPES.nokiaBrowserBookmarks,
        parameters: [{ name: 'charset', value: 'utf-8' }],
      },
      body: empty,
    },
  },
  {
    name: 'Nokia SyncML settings (registered content type 0x020B)',
    source: 'docs/protocol.md §4.6 (Kannel ota_prov.c "syncsettings")',
    hex: '0106060502020b81ea',
    push: {
      transactionId: 1,
      contentType: {
        mediaType: MEDIA_TYPES.nokiaSyncSettings,
        parameters: [{ name: 'charset', value: 'utf-8' }],
      },
      body: empty,
    },
  },
  {
    name: 'DM notification',
    source: 'docs/protocol.md §4.6 / §9.2',
    hex: '010603c4af87',
    push: {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.dmNotification, parameters: [] },
      applicationId: APPLICATION_IDS.syncmlDm,
      body: empty,
    },
  },
  {
    name: 'DM bootstrap (DM profile)',
    source: 'docs/protocol.md §4.6',
    hex: '01062f1f2dc2918092' + ascii(GK_NETWPIN_MAC) + '00',
    push: {
      transactionId: 1,
      contentType: {
        mediaType: MEDIA_TYPES.dmBootstrap,
        parameters: [
          { name: 'sec', value: 0 },
          { name: 'mac', value: GK_NETWPIN_MAC },
        ],
      },
      body: empty,
    },
  },
  {
    name: 'MMS notification, text form',
    source: 'docs/protocol.md §4.6 (Gammu GSM_EncodeMMSIndicatorSMSText)',
    hex: '010622' + ascii(MEDIA_TYPES.mmsMessage) + '00af84',
    push: {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.mmsMessage, parameters: [], encodeAsText: true },
      applicationId: APPLICATION_IDS.mmsUserAgent,
      body: empty,
    },
  },
  {
    name: 'MMS notification, well-known form',
    source: 'docs/protocol.md §4.6',
    hex: '010603beaf84',
    push: {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.mmsMessage, parameters: [] },
      applicationId: APPLICATION_IDS.mmsUserAgent,
      body: empty,
    },
  },
];

export const nokiaVector = publicVectors().find((vector) => vector.name === 'nokia-ota-bookmark')!;
export const nokiaWsp = nokiaVector.tpud_without_udh as string;
GOLDEN_WSP_PUSHES.push({
  name: 'Nokia OTA bookmark push with body',
  source: nokiaVector.source,
  hex: nokiaWsp,
  push: {
    transactionId: 0,
    contentType: {
      mediaType: MEDIA_TYPES.nokiaBrowserSettings,
      parameters: [{ name: 'charset', value: 'utf-8' }],
    },
    // The body starts right after the 0x2C header octets: TID, type, HeadersLen are 3 more.
    body: fromHex(nokiaWsp).subarray(3 + 0x2c),
  },
});
