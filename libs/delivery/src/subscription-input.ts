import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidationError,
  validateSync,
} from 'class-validator';
import { TYPE_GLOB_PATTERN } from '@hub/store';
import { FilterCondition, validateFilter } from './payload-filter';
import { PAYLOAD_FORMATS, PayloadFormat } from './subscription';

const RESERVED_HEADERS = /^(host|content-type|content-length|user-agent|idempotency-key|connection|transfer-encoding|webhook-.*|x-webhook-.*)$/i;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** What Standard Webhooks libraries decode: whsec_ + base64 of 24-64 bytes. */
const WHSEC_SECRET = /^whsec_(?:[A-Za-z0-9+/]{4}){8,22}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Fields a client may set on create (url required) or update (all optional). */
export class SubscriptionInput {
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'url must be an http(s) URL' })
  @MaxLength(2048)
  url?: string;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'events must list at least one type pattern (use ["*"] for all)' })
  @ArrayMaxSize(50)
  @Matches(TYPE_GLOB_PATTERN, { each: true, message: 'each of events must be a type glob such as "whatsapp.message.*"' })
  events?: string[];

  /** Conditions on `data` ({path, op, value}); checked by validateFilter. */
  @IsOptional()
  @IsArray()
  filter?: FilterCondition[];

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'secret must be at least 8 characters' })
  @MaxLength(256)
  secret?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  rateLimitPerSec?: number;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(0)
  @ArrayMaxSize(20)
  @IsInt({ each: true, message: 'each retrySchedule entry must be whole seconds' })
  @Min(0, { each: true })
  @Max(7 * 86_400, { each: true })
  retrySchedule?: number[];

  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  /** `hub` (the envelope, default) or `seed` (the WhatsApp document's `{event, timestamp, data}`). */
  @IsOptional()
  @IsIn(PAYLOAD_FORMATS as PayloadFormat[], { message: 'payloadFormat must be "hub" or "seed"' })
  payloadFormat?: PayloadFormat;
}

export interface InputProblem {
  field: string;
  message: string;
}

/** Every problem with a create or update request, named by field; empty when it is fine. */
export function validateSubscriptionInput(input: unknown, mode: 'create' | 'update'): { value: SubscriptionInput; problems: InputProblem[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { value: new SubscriptionInput(), problems: [{ field: 'body', message: 'must be a JSON object' }] };
  }
  const value = toInput(input);
  const problems = flatten(validateSync(value, { whitelist: true, forbidNonWhitelisted: true }));
  for (const key of Object.keys(input)) if (OBJECT_INTERNALS.has(key)) problems.push({ field: key, message: `${key} should not exist` });
  // @IsOptional lets null through; a null would be stored and break matching for everyone.
  for (const [field, v] of Object.entries(input)) if (v === null) problems.push({ field, message: `${field} must not be null (leave it out to keep the current value)` });
  if (typeof value.secret === 'string' && value.secret.startsWith('whsec_') && !WHSEC_SECRET.test(value.secret)) {
    problems.push({ field: 'secret', message: 'a whsec_ secret must be whsec_ followed by the base64 of 24 to 64 random bytes (or use a secret without the whsec_ prefix)' });
  }
  if (mode === 'create' && !value.url) problems.push({ field: 'url', message: 'url is required' });
  if (value.filter !== undefined) problems.push(...validateFilter(value.filter).map((message) => ({ field: 'filter', message })));
  if (value.headers !== undefined && value.headers !== null && typeof value.headers === 'object') {
    const entries = Object.entries(value.headers);
    if (entries.length > 20) problems.push({ field: 'headers', message: 'headers may hold at most 20 entries' });
    for (const [name, v] of entries) {
      if (!HEADER_NAME.test(name)) problems.push({ field: `headers.${name}`, message: 'is not a valid header name' });
      else if (RESERVED_HEADERS.test(name)) problems.push({ field: `headers.${name}`, message: 'is set by the hub and cannot be overridden' });
      // What an HTTP client can send: visible ASCII, spaces and tabs. A control character or "€" was
      // accepted once and then failed every delivery.
      if (typeof v !== 'string' || v.length > 1024 || !/^[\t\x20-\x7e]*$/.test(v)) {
        problems.push({ field: `headers.${name}`, message: 'must be at most 1024 characters of visible ASCII, spaces and tabs (no control characters, no non-ASCII)' });
      }
    }
  }
  return { value, problems };
}

const OBJECT_INTERNALS = new Set(['constructor', '__proto__', 'prototype']);

/**
 * The request's own fields on a SubscriptionInput, copied as plain data properties (class-transformer's
 * plainToInstance threw on a nested "constructor" key, a 500; a "__proto__" key must not become the
 * prototype either). Unknown names stay, so validation reports them.
 */
function toInput(input: object): SubscriptionInput {
  const value = new SubscriptionInput();
  for (const [key, field] of Object.entries(input)) {
    // Never copied: an own "constructor" would hide the class from the validator's metadata lookup.
    if (OBJECT_INTERNALS.has(key)) continue;
    Object.defineProperty(value, key, { value: field, enumerable: true, writable: true, configurable: true });
  }
  return value;
}

function flatten(errors: ValidationError[], parent = ''): InputProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    return [
      ...Object.values(e.constraints ?? {}).map((message) => ({ field, message: message.replace('property ', '') })),
      ...flatten(e.children ?? [], field),
    ];
  });
}
