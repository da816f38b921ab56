/**
 * Why a parameter set could not be accepted or rendered. `code` is stable (callers and tests switch on
 * it; the HTTP layer maps it to `{ error: { code, message, details } }`), `details` is structured and
 * never holds a secret.
 */
export type ProfileErrorCode =
  /** The parameter set does not satisfy the schema; details.issues lists `{ path, message }`. */
  | 'PROFILE_INVALID'
  /** A value is longer than a Nokia OTA 7.0 handset accepts (docs/protocol.md §7); details: path, limit, length. */
  | 'NOKIA_LIMIT_EXCEEDED'
  /** A raw OMA CP document cannot be sent to a device that only understands Nokia OTA. */
  | 'RAW_CP_NOT_RENDERABLE'
  /** The raw OMA CP document is not well-formed XML or not a wap-provisioningdoc; details.line when known. */
  | 'RAW_CP_INVALID'
  /** After leaving out what the device cannot take, nothing is left to send; details.omitted. */
  | 'NOTHING_TO_RENDER'
  /** A reference (connection, proxy) names nothing in the parameter set. */
  | 'UNKNOWN_REFERENCE'
  /** A secret posted as the mask "***" where the previous version has no secret to keep; details.path. */
  | 'SECRET_MASKED'
  /** The group's policy wants a signed push and the device lists no signed method (issue 15 #9); details.accepted. */
  | 'NO_SIGNED_METHOD';

export class ProfileError extends Error {
  readonly code: ProfileErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ProfileErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ProfileError';
    this.code = code;
    this.details = details;
  }
}
