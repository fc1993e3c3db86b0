/**
 * Signing keys (docs/adr/0012-signing-keys.md). From SIGNING_KEYS (a private JWKS) when set;
 * otherwise generated once (RSA-2048, RS256) and persisted in `signing_keys`, sealed with the
 * persistence keyring, so every replica and every restart signs with the same key. The first
 * replica to insert wins; the others read its key. A self-signed certificate (node-forge) is
 * published as `x5c` for consumers that want certificates rather than bare keys.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Logger } from '@portico/core';
import type { mongo } from 'mongoose';
import forge from 'node-forge';
import type { JWK } from 'oidc-provider';
import type { Keyring, Sealed } from '../crypto/keyring.ts';

interface KeyDoc {
  _id: string;
  sealed?: Sealed;
  jwks?: { keys: JWK[] };
  createdAt: Date;
}

const DOC_ID = 'current';
const AAD = 'signing_keys|current';

function selfSignedCertificate(privatePem: string, kid: string, issuer: string): string {
  const privateKey = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(8))}`;
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);
  const subject = [
    { name: 'commonName', value: new URL(issuer).host.slice(0, 64) || 'portico-key-manager' },
    { name: 'organizationName', value: 'Portico' },
    { name: 'organizationalUnitName', value: kid.slice(0, 64) },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(privateKey, forge.md.sha256.create());
  return forge.util.encode64(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes());
}

function generateSigningJwks(issuer: string): { keys: JWK[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const pem = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
  return {
    keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig', x5c: [selfSignedCertificate(pem, kid, issuer)] }],
  };
}

export async function loadSigningKeys(options: {
  configured: string;
  db: mongo.Db;
  keyring: Keyring;
  issuer: string;
  logger: Logger;
}): Promise<{ keys: JWK[] }> {
  if (options.configured) {
    const parsed = JSON.parse(options.configured) as { keys?: JWK[] };
    if (!Array.isArray(parsed.keys) || parsed.keys.length === 0)
      throw new Error('SIGNING_KEYS: expected {"keys":[...]}');
    return { keys: parsed.keys };
  }
  const col = options.db.collection<KeyDoc>('signing_keys');
  const read = async () => {
    const doc = await col.findOne({ _id: DOC_ID });
    if (!doc) return undefined;
    if (doc.sealed) {
      const opened = options.keyring.open(doc.sealed, AAD);
      if (!opened) throw new Error('signing keys cannot be decrypted with PERSISTENCE_ENCRYPTION_KEYS');
      return JSON.parse(opened) as { keys: JWK[] };
    }
    return doc.jwks;
  };
  const existing = await read();
  if (existing) {
    // Keyring rotation: re-seal with the newest key so older keys can be retired.
    const doc = await col.findOne({ _id: DOC_ID }, { projection: { 'sealed.kid': 1 } });
    if (options.keyring.enabled && doc?.sealed?.kid !== options.keyring.activeKid) {
      await col.updateOne(
        { _id: DOC_ID },
        { $set: { sealed: options.keyring.seal(JSON.stringify(existing), AAD) }, $unset: { jwks: '' } },
      );
    }
    return existing;
  }
  const jwks = generateSigningJwks(options.issuer);
  const doc: KeyDoc = options.keyring.enabled
    ? { _id: DOC_ID, sealed: options.keyring.seal(JSON.stringify(jwks), AAD), createdAt: new Date() }
    : { _id: DOC_ID, jwks, createdAt: new Date() };
  if (!options.keyring.enabled) {
    options.logger.warn('no PERSISTENCE_ENCRYPTION_KEYS: the generated signing key is stored unencrypted');
  }
  try {
    await col.insertOne(doc);
    options.logger.info({ kid: jwks.keys[0]?.kid }, 'generated and stored a new signing key');
    return jwks;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 11000) throw err;
    const winner = await read(); // another replica was first
    if (!winner) throw err;
    return winner;
  }
}
