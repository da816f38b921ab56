/** One Content-Type parameter. Well-known names are lower-case canonical ('charset', 'sec', 'mac', ...). */
export interface WspParameter {
  /** Canonical lower-case name for a well-known parameter; an untyped parameter keeps its text name. */
  name: string;
  /**
   * charset: a name such as 'utf-8' (a number when the MIBenum has no name); sec: 0-3; mac: 40 hex
   * characters; q: 0 <= q < 1; level: 'major.minor'; secure: ''; dates: seconds since 1970.
   */
  value: string | number;
}

/** A WSP Content-type-value (docs/protocol.md §4.3). */
export interface WspContentType {
  mediaType: string;
  parameters: WspParameter[];
  /**
   * Send the media type as text even though it has a WSP code (Gammu's MMS indicator does,
   * docs/protocol.md §4.6). The decoder sets it when it met that form, so decode -> encode gives the same bytes.
   */
  encodeAsText?: boolean;
}

/** A header after the Content-Type, other than X-Wap-Application-Id (which has its own field). */
export interface WspHeader {
  /** Lower-case canonical name for a well-known field; an application header keeps its text name. */
  name: string;
  /**
   * Well-known field: the encoded field value as raw octets (or a string, sent as Text-string).
   * Application header: the text value.
   */
  value: Uint8Array | string;
}

/** A connectionless WSP Push PDU as carried over SMS (docs/protocol.md §4.1). */
export interface WspPush {
  /** Transaction id octet, 0-255 (any value over SMS). */
  transactionId: number;
  contentType: WspContentType;
  /**
   * X-Wap-Application-Id: the URN of a well-known id ('x-wap-application:wml.ua'), a number for an id
   * with no name here, or a URI sent as text. Absent when the push carries none.
   */
  applicationId?: string | number;
  headers?: WspHeader[];
  body: Uint8Array;
}
