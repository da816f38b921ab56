/**
 * A minimal SMSC for the cases the simulator does not script: it binds anyone, answers submit_sm with
 * increasing ids, and lets a test send arbitrary PDUs to the connector or change how it answers.
 * Plain TCP, or TLS with a certificate made on the spot.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import smpp from 'smpp';
import type { PDU, Session } from 'smpp';

export interface ScriptedSmsc {
  port: number;
  sessions: Session[];
  received: PDU[];
  /** answer to the next submit_sm: a status, or 'silence' */
  onSubmit: (pdu: PDU) => number | 'silence';
  close(): Promise<void>;
}

export function selfSignedCertificate(commonName: string): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  const attributes = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attributes);
  cert.setIssuer(attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: commonName }] },
  ]);
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  return { key, cert: forge.pki.certificateToPem(cert) };
}

export async function startScriptedSmsc(tls?: { key: string; cert: string }): Promise<ScriptedSmsc> {
  let nextId = 1;
  const smsc: ScriptedSmsc = {
    port: 0,
    sessions: [],
    received: [],
    onSubmit: () => 0,
    close: async () => {},
  };
  const server = smpp.createServer(tls ?? {}, (session) => {
    smsc.sessions.push(session);
    session.on('error', () => session.destroy());
    session.on('pdu', (pdu: PDU) => {
      smsc.received.push(pdu);
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver':
          session.send(pdu.response({ system_id: 'scripted' }));
          return;
        case 'submit_sm': {
          const answer = smsc.onSubmit(pdu);
          if (answer === 'silence') return;
          session.send(
            answer === 0
              ? pdu.response({ message_id: String(nextId++) })
              : pdu.response({ command_status: answer }),
          );
          return;
        }
        case 'enquire_link':
          session.send(pdu.response());
          return;
        case 'unbind':
          session.send(pdu.response(), () => session.close());
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  smsc.port = (server.address() as AddressInfo).port;
  smsc.close = () =>
    new Promise<void>((resolve) => {
      for (const session of smsc.sessions) session.destroy();
      server.close(() => resolve());
    });
  return smsc;
}
