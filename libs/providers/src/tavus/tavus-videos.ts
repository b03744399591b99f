import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type Redis from 'ioredis';
import { z } from 'zod';
import { REDIS_CLIENT, RedisKeys, newEventId } from '@hub/store';
import { parseBody } from '@hub/webhook-core';
import { CatalogueVideo } from './video-match';

/** A catalogue this large is loaded whole for every fetch_video call; more is refused. */
export const MAX_VIDEOS = 5_000;
export const VIDEO_ID_PATTERN = /^vid_[0-9A-HJKMNP-TV-Z]{26}$/;

const httpUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

/** What a client may set on a video (all required on create except duration and tags). */
export const videoFields = {
  title: z.string().trim().min(1).max(200).describe('What fetch_video matches against (case-insensitive substring, then word overlap)'),
  url: httpUrl.describe('Where the video plays, returned to the agent as video_url'),
  duration_seconds: z.number().int().min(0).max(86_400).nullable().optional(),
  tags: z.array(z.string().trim().min(1).max(50)).max(20).optional().describe('Extra words fetch_video matches at half weight'),
};

export interface TavusVideo extends CatalogueVideo {
  updatedAt: string;
}

/** The video catalogue fetch_video picks from (`/api/v1/tavus/videos`), one Redis hash by id. */
@Injectable()
export class TavusVideosRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private get key(): string {
    return this.keys.provider('tavus', 'videos');
  }

  /** Newest first. */
  async list(): Promise<TavusVideo[]> {
    const values = await this.redis.hvals(this.key);
    return values.map((v) => JSON.parse(v) as TavusVideo).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  async get(id: string): Promise<TavusVideo> {
    const json = VIDEO_ID_PATTERN.test(id) ? await this.redis.hget(this.key, id) : null;
    if (!json) throw new NotFoundException(`video ${String(id).slice(0, 40)} not found`);
    return JSON.parse(json) as TavusVideo;
  }

  async create(body: unknown): Promise<TavusVideo> {
    const input = parseBody(videoFields, body);
    if ((await this.redis.hlen(this.key)) >= MAX_VIDEOS) throw new ConflictException(`the catalogue holds ${MAX_VIDEOS} videos already; delete some first`);
    const now = new Date().toISOString();
    const video: TavusVideo = {
      id: newEventId().replace(/^evt_/, 'vid_'),
      title: input.title,
      url: input.url,
      duration_seconds: input.duration_seconds ?? null,
      tags: input.tags ?? [],
      createdAt: now,
      updatedAt: now,
    };
    await this.redis.hset(this.key, video.id, JSON.stringify(video));
    return video;
  }

  async update(id: string, body: unknown): Promise<TavusVideo> {
    const changes = parseBody(videoFields, body, true);
    const current = await this.get(id);
    const next: TavusVideo = { ...current, ...stripUndefined(changes), updatedAt: new Date().toISOString() };
    await this.redis.hset(this.key, id, JSON.stringify(next));
    return next;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.redis.hdel(this.key, id);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
