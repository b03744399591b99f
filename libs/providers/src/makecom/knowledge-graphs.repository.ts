import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { HubConfig } from '@hub/config';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { KnowledgeGraph } from './knowledge-graph';

/** Extracted knowledge graphs, kept as long as events are (EVENT_RETENTION_SECONDS), and the latest per client. */
@Injectable()
export class KnowledgeGraphsRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {}

  async save(graph: KnowledgeGraph): Promise<void> {
    await this.saveIn(this.redis.multi(), graph).exec();
  }

  /** Adds the graph's writes to a transaction, so a caller stores it with its own writes in one round trip. */
  saveIn(tx: ChainableCommander, graph: KnowledgeGraph): ChainableCommander {
    const ttl = this.config.eventRetentionSeconds;
    return tx
      .set(this.keys.knowledgeGraph(graph.extraction_id), JSON.stringify(graph), 'EX', ttl)
      .set(this.keys.clientKnowledgeGraph(graph.client_id), graph.extraction_id, 'EX', ttl);
  }

  async get(extractionId: string): Promise<KnowledgeGraph | null> {
    const json = await this.redis.get(this.keys.knowledgeGraph(extractionId));
    return json ? (JSON.parse(json) as KnowledgeGraph) : null;
  }

  async latestOfClient(clientId: string): Promise<KnowledgeGraph | null> {
    const id = await this.redis.get(this.keys.clientKnowledgeGraph(clientId));
    return id ? this.get(id) : null;
  }
}
