import { type Static, type TArray, type TSchema, Type } from '@sinclair/typebox';

/** Workspace slugs, as they appear in URLs, subjects and KV keys. */
export const WORKSPACE_SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

export const ErrorEnvelopeSchema = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.Object({
      code: Type.String({ examples: ['VALIDATION_ERROR'] }),
      message: Type.String(),
      details: Type.Optional(
        Type.Array(
          Type.Object({ path: Type.Array(Type.Union([Type.String(), Type.Number()])), message: Type.String() }),
        ),
      ),
      errorId: Type.Optional(Type.String()),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

export const SortDirection = Type.Union([Type.Literal('asc'), Type.Literal('desc')]);

/** The highest `page` a list accepts: beyond it an offset is no longer a number Postgres takes. */
export const MAX_PAGE = 1_000_000;

/** `?search=&searchField=&limit=&page=&sort=` (seed 000). `sort` is a JSON array of `{field, direction}`. */
export const ListQuerySchema = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200 })),
    searchField: Type.Optional(Type.String()),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 500 }),
    page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
    sort: Type.Optional(Type.String({ description: 'JSON array, e.g. [{"field":"createdAt","direction":"desc"}]' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuerySchema>;

export interface SortField {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

/** `{ <key>: [...], total, page, limit }`, typed by its key (seed 000's list shape). */
export const Paged = <K extends string, T extends TSchema>(key: K, item: T) =>
  Type.Object({
    ...({ [key]: Type.Array(item) } as { [P in K]: TArray<T> }),
    total: Type.Integer(),
    page: Type.Integer(),
    limit: Type.Integer(),
  });

export const VersionSchema = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  change: Type.String({ examples: ['created', 'updated', 'enabled', 'disabled'] }),
  changedBy: Type.String(),
  changedAt: Timestamp,
  snapshot: Type.Record(Type.String(), Type.Unknown()),
});
export type VersionRecord = Static<typeof VersionSchema>;
export const VersionListSchema = Type.Object({ versions: Type.Array(VersionSchema), total: Type.Integer() });
export type VersionList = Static<typeof VersionListSchema>;

export const DeletedSchema = Type.Object({ id: Uuid, deleted: Type.Literal(true) });
export type Deleted = Static<typeof DeletedSchema>;
