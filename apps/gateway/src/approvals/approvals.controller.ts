import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Approval, ApprovalPage, ApprovalsService } from '@hub/approvals';
import { AdminTokenGuard } from '@hub/webhook-core';

/**
 * Human approvals (bearer HUB_ADMIN_TOKEN): list and read them, approve or reject with an optional
 * reason. The first decision wins; a later one answers 409 with the recorded decision.
 */
@ApiTags('approvals')
@ApiBearerAuth()
@Controller('api/v1/approvals')
@UseGuards(AdminTokenGuard)
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  /** Newest first; `status` = pending, approved, rejected or expired; `limit` 1-500 (default 50); `cursor` from nextCursor. */
  @Get()
  list(@Query() query: Record<string, unknown>): Promise<ApprovalPage> {
    const limit = query.limit === undefined ? undefined : /^\d{1,4}$/.test(String(query.limit)) ? Number(query.limit) : NaN;
    return this.approvals.list({
      status: query.status === undefined ? undefined : String(query.status),
      limit,
      cursor: query.cursor === undefined ? undefined : String(query.cursor),
    });
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<Approval> {
    return this.approvals.get(id);
  }

  /** `{reason?}`: approves; the action then runs once (for send_webhook_response: one signed delivery). */
  @Post(':id/approve')
  @HttpCode(200)
  approve(@Param('id') id: string, @Body() body: { reason?: unknown } = {}): Promise<Approval> {
    return this.approvals.decide(id, 'approve', { channel: 'rest', id: 'admin-token' }, body?.reason);
  }

  /** `{reason?}`: rejects; the action never runs. */
  @Post(':id/reject')
  @HttpCode(200)
  reject(@Param('id') id: string, @Body() body: { reason?: unknown } = {}): Promise<Approval> {
    return this.approvals.decide(id, 'reject', { channel: 'rest', id: 'admin-token' }, body?.reason);
  }
}
