export interface FieldError {
  field: string;
  message: string;
}

/** Thrown by an adapter for a well-formed JSON body whose content is wrong; answered with 400 listing the fields. */
export class PayloadValidationError extends Error {
  override readonly name = 'PayloadValidationError';

  constructor(readonly errors: FieldError[]) {
    super(`invalid payload: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  }
}

/** Collects field errors while an adapter walks a payload. */
export class FieldErrors {
  private readonly errors: FieldError[] = [];

  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  get any(): boolean {
    return this.errors.length > 0;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new PayloadValidationError(this.errors.slice(0, 20));
  }
}

/** A parsed JSON object (not an array, not null), as adapters walk payloads. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parsed body as a JSON object, or a 400 naming the field `body` (`must be <expected>`). */
export function requireJsonObject(body: unknown, expected = 'a JSON object'): JsonObject {
  if (!isJsonObject(body)) throw new PayloadValidationError([{ field: 'body', message: `must be ${expected}` }]);
  return body;
}
