import { Transform } from 'class-transformer';
import { IsISO8601, IsOptional, Matches } from 'class-validator';
import { TYPE_GLOB_PATTERN } from '@hub/store';
import { PageQuery } from '../page.query';

export class ListEventsQuery extends PageQuery {
  /** Only events of this source (`whatsapp`, `digitalsamba`, ...). */
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'source must be a source name such as "whatsapp"' })
  source?: string;

  /** Type glob: `whatsapp.message.*`, `*.session_ended`. */
  @IsOptional()
  @Matches(TYPE_GLOB_PATTERN, { message: 'type must be a type glob such as "whatsapp.message.*"' })
  type?: string;

  /** ISO 8601 instant or unix milliseconds: only events received at or after it. */
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? new Date(Number(value)).toISOString() : value))
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date or unix milliseconds' })
  since?: string;


  /** `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^\d{1,16}-\d{1,10}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}
