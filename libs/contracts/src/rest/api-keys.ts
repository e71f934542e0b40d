import { type Static, Type } from '@sinclair/typebox';

import { PermissionActions, PermissionResources } from '../auth';
import { Paged, Timestamp, Uuid } from './common';

/** Every permission string an API key can carry: `<resource>:<action>`, `<resource>:*`, or `*`. */
export const ApiKeyScopes: readonly string[] = [
  '*',
  ...PermissionResources.flatMap((resource) => [
    `${resource}:*`,
    ...PermissionActions.map((action) => `${resource}:${action}`),
  ]),
];

/** What a key starts with: `sbk_` and its public id (the look-up prefix), then `_` and the secret part. */
export const API_KEY_PREFIX = 'sbk_';

export const CreateApiKeySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    scopes: Type.Array(Type.Union(ApiKeyScopes.map((scope) => Type.Literal(scope))), {
      minItems: 1,
      uniqueItems: true,
      description: 'permission strings, as in a JWT (the creator must hold each)',
    }),
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type CreateApiKey = Static<typeof CreateApiKeySchema>;

export const ApiKeySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  /** The visible start of the key (`sbk_<id>`), to tell keys apart; never enough to use it. */
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  workspaceSlug: Type.String(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  /** Only in the create answer: the whole key, shown once. */
  key: Type.Optional(Type.String()),
});
export type ApiKey = Static<typeof ApiKeySchema>;
export const ApiKeyListSchema = Paged('apiKeys', ApiKeySchema);
export type ApiKeyList = Static<typeof ApiKeyListSchema>;
