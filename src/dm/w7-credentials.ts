/**
 * The credentials a w7 APPLICATION carries (docs/protocol-dm.md §4.5): APPSRV is what the handset presents
 * (DMAcc CLCRED, the profile's `serverAuth`), CLIENT what the server presents (SRVCRED, `clientAuth`, also
 * the key of package #0). The worker puts the subscriber's own DM account there (w7-accounts.ts); a
 * preview shows placeholders of the same lengths, so that it has the segment count of the push. Pure.
 */
import type { DeviceManagement, DmCredentials, ProfileParameters } from '../profiles/schema.ts';

export interface W7Credentials {
  /** PROVIDER-ID: the ServerID the handset keeps the account under */
  serverId: string;
  /** APPSRV (CLCRED) */
  client: DmCredentials;
  /** CLIENT (SRVCRED) */
  server: DmCredentials;
}

/** Where the composer gets a subscriber's account: one store round trip (created when there is none). */
export interface W7AccountSource {
  /** undefined: nothing is known of the subscriber's handset, so no account can be made for it */
  credentialsFor(imsi: string, dm: DeviceManagement): Promise<W7Credentials | undefined>;
}

/** A generated account's lengths (w7-accounts.ts): user name, secrets (newDmSecret) and nonces (12 octets). */
export const GENERATED_LENGTHS = { name: 16, secret: 24, nonce: 16 } as const;

/** What a preview shows in the w7's APPAUTHs: no account exists for it, and none is made. */
export function w7Placeholder(dm: DeviceManagement): W7Credentials {
  const secret = '*'.repeat(GENERATED_LENGTHS.secret);
  const nonce = 'A'.repeat(GENERATED_LENGTHS.nonce);
  return {
    serverId: dm.serverId,
    client: {
      type: dm.serverAuth?.type ?? 'DIGEST',
      name: 'x'.repeat(GENERATED_LENGTHS.name),
      secret,
      nonce,
    },
    server: { type: dm.clientAuth?.type ?? 'DIGEST', name: dm.serverId, secret, nonce },
  };
}

/** The parameters with these credentials in the w7 (the profile's own are never sent). */
export function withW7Credentials(
  parameters: ProfileParameters,
  credentials: W7Credentials,
): ProfileParameters {
  if (!parameters.dm) return parameters;
  return {
    ...parameters,
    dm: {
      ...parameters.dm,
      serverId: credentials.serverId,
      serverAuth: credentials.client,
      clientAuth: credentials.server,
    },
  };
}
