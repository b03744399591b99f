import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '@hub/webhook-core';
import { ConversationView, TavusConversationsService } from './tavus-conversations.service';
import { TavusVideo, TavusVideosRepository } from './tavus-videos';

/**
 * The Tavus workflow's ops API (bearer HUB_ADMIN_TOKEN): the video catalogue fetch_video picks from,
 * and the conversations as their events describe them.
 */
@ApiTags('tavus')
@ApiBearerAuth()
@Controller('api/v1/tavus')
@UseGuards(AdminTokenGuard)
export class TavusApiController {
  constructor(
    private readonly videos: TavusVideosRepository,
    private readonly conversations: TavusConversationsService,
  ) {}

  /** `{title, url, duration_seconds?, tags?}`: 201 with the video. */
  @Post('videos')
  create(@Body() body: unknown): Promise<TavusVideo> {
    return this.videos.create(body);
  }

  /** Every video, newest first. */
  @Get('videos')
  async list(): Promise<{ data: TavusVideo[]; nextCursor: null }> {
    return { data: await this.videos.list(), nextCursor: null };
  }

  @Get('videos/:id')
  get(@Param('id') id: string): Promise<TavusVideo> {
    return this.videos.get(id);
  }

  /** Any of title, url, duration_seconds, tags. */
  @Patch('videos/:id')
  update(@Param('id') id: string, @Body() body: unknown): Promise<TavusVideo> {
    return this.videos.update(id, body);
  }

  @Delete('videos/:id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.videos.remove(id);
  }

  /** Status, persona, participants, messages by role, tool calls with their results, duration, end reason. */
  @Get('conversations/:id')
  conversation(@Param('id') id: string): Promise<ConversationView> {
    return this.conversations.get(id);
  }
}
