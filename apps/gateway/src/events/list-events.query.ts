import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
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

  /** ISO 8601 instant or unix milliseconds (1970..9999): only events received at or after it. */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  since?: string;


  /** `nextCursor` of the previous page. */
  @IsOptional()
  // A stream id, or one position per partition ("<id>", "+" or "x" joined by "."); checked in full by the repository.
  @Matches(/^(\d{1,16}-\d{1,10}|x|\+)(\.(\d{1,16}-\d{1,10}|x|\+)){0,31}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}
