// Encryption at rest for upstream credentials (Nextcloud app passwords, upstream refresh
// tokens): AES-256-GCM with a key derived from the instance secret; "v1.<iv>.<tag>.<ciphertext>".
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export class Sealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('postern:credentials:v1').digest();
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** Throws when the blob was tampered with, sealed for another context, or under another secret. */
  open(blob: string, context: string): string {
    const [v, iv, tag, data] = blob.split('.');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed credential');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
