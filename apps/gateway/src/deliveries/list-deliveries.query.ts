import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../page.query';

export class ListDeliveriesQuery extends PageQuery {
  @IsOptional()
  @Matches(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'subscriptionId must be a subscription id (sub_...)' })
  subscriptionId?: string;

  @IsOptional()
  @Matches(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'eventId must be an event id (evt_...)' })
  eventId?: string;

  @IsOptional()
  @IsIn(['pending', 'retrying', 'succeeded', 'dead', 'cancelled'])
  status?: 'pending' | 'retrying' | 'succeeded' | 'dead' | 'cancelled';


  @IsOptional()
  @Matches(/^\d{1,16}-dlv_[0-9A-Za-z_]{1,80}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}

export class ListDeadLettersQuery extends PageQuery {
  @IsOptional()
  @Matches(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'subscriptionId must be a subscription id (sub_...)' })
  subscriptionId?: string;


  @IsOptional()
  @Matches(/^\d{1,16}-dlv_[0-9A-Za-z_]{1,80}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}
