import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

/**
 * Parses a REST body with the zod shape its MCP tool declares, so both answer the same: unknown
 * fields and bad values are a 400 naming each field (`partial`: every field optional, for updates).
 */
export function parseBody<T extends z.ZodRawShape>(shape: T, body: unknown, partial = false): z.infer<z.ZodObject<T>> {
  const schema = partial ? z.strictObject(shape).partial() : z.strictObject(shape);
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data as z.infer<z.ZodObject<T>>;
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : 'body',
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue as { keys: string[] }).keys.join(', ')}` : issue.message,
  }));
  throw new BadRequestException({ message: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors });
}
