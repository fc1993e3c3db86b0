/**
 * The schema pieces every resource shares (ids, URLs, scopes, the error shape). Each resource's
 * own schemas sit next to its routes (routes/<resource>.ts). Request validation parses with
 * those very schemas and the OpenAPI document is generated from them (z.toJSONSchema), so the
 * two cannot drift. Request bodies are strict objects: unknown fields (owner, status,
 * clientId, …) are rejected with 400, which is how mass assignment is refused.
 */
import { ERROR_CODES, type ErrorCode } from '@portico/core';
import { keyTypeSchema, lifecycleSchema } from '@portico/events';
import { z } from 'zod';

export const API = '/api/v1';

export const text = (max: number) => z.string().trim().min(1).max(max);
const id = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`))
    .meta({ description: `${prefix}_ followed by 32 hex digits`, example: `${prefix}_${'0'.repeat(32)}` });

export const apiId = id('api');
export const applicationId = id('app');
export const subscriptionId = id('sub');
export const tierName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
  .meta({ description: 'tier name', example: 'Gold' });
export const keyType = keyTypeSchema;

export const httpUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#]+[^\s]*$/i, 'expected an http(s) URL');
export const contextPath = z
  .string()
  .max(256)
  .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'expected a path such as /twitter/1.0.0');
export const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'a scope token');
export const visibility = z.enum(['PUBLIC', 'RESTRICTED']);
export const lifecycle = lifecycleSchema;

export const errorResponse = z
  .object({
    error: z.object({
      /** The closed list in docs/error-codes.md. */
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string().optional(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
