import { sign } from 'jsonwebtoken';

export interface MintTokenOptions {
  readonly secret: string;
  readonly subject: string;
  readonly workspaces: readonly string[];
  readonly permissions: readonly string[];
  readonly expiresInSeconds: number;
  readonly issuer?: string;
  readonly audience?: string;
}

/** Mints an HS256 token (development and tests; production issuers sign their own). */
export function mintToken(options: MintTokenOptions): string {
  return sign({ workspaces: options.workspaces, permissions: options.permissions }, options.secret, {
    algorithm: 'HS256',
    subject: options.subject,
    expiresIn: options.expiresInSeconds,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  });
}
