import { Inject, Injectable, Logger, RequestTimeoutException } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { DomainEvent, REDIS_CLIENT, RedisKeys } from '@hub/store';
import { KnowledgeGraph } from './knowledge-graph';
import { KnowledgeGraphsRepository } from './knowledge-graphs.repository';
import { z } from 'zod';
import { MakeComActionsService, SEED_SOURCE } from './makecom-actions.service';
import { sendWebhookResponseInput } from './makecom-actions.schemas';

/** The route of the seed's scenario "GPT - Get Client Knowledge Graph". */
export const SEED_SCENARIO = 'chatgpt-clients';

/**
 * What a scenario action adds to the reply's `result`, computed from the stored event. A
 * `knowledge_graph` in it is stored with the reply, in the same round trip.
 */
export type ScenarioAction = (event: DomainEvent, actions: MakeComActionsService) => Promise<Record<string, unknown>>;

interface ScenarioEventData {
  client_id: string;
  action_id: string;
  scenario: string;
  [key: string]: unknown;
}

/** Graph ids and times derive from the event, so a reply computed twice (a race, a re-run) is the same bytes. */
const knowledgeGraphAction: ScenarioAction = async (event, actions) => {
  const data = event.data as ScenarioEventData;
  const graph = actions.buildGraph(
    { webhook_data: data, client_id: data.client_id, include_task_details: true },
    { id: `kg_${event.id.slice('evt_'.length)}`, at: event.receivedAt, source: sourceName(data.scenario) },
  );
  return { knowledge_graph: graph };
};

const processAction: ScenarioAction = async (event, actions) => {
  const data = event.data as ScenarioEventData;
  const { processed_at: _at, ...processed } = actions.processWebhookData({ webhook_data: data, client_id: data.client_id, action_id: data.action_id });
  return { processed_data: { ...processed, processed_at: event.receivedAt } };
};

/**
 * A scenario that asks for a response to be sent (`action_id: "send_webhook_response"` with
 * `response_url`, `response_data`, `response_type?` in its body): an approval requested by the
 * Make.com client, its id derived from the event so a redelivery or a re-run asks once.
 */
const sendResponseAction: ScenarioAction = async (event, actions) => {
  const data = event.data as ScenarioEventData;
  const parsed = z
    .object(sendWebhookResponseInput)
    .safeParse({ response_url: data.response_url, response_data: data.response_data, response_type: data.response_type, client_id: data.client_id });
  if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  const approval = await actions.sendWebhookResponse(parsed.data, { channel: 'makecom', id: data.client_id, name: data.scenario }, `apr_${event.id.slice('evt_'.length)}`);
  return { approval };
};

/**
 * Make.com's inline answer: a scenario's HTTP module waits for the reply, so it is computed before
 * the request is answered. The seed route always answers the seed's knowledge graph; other scenarios
 * route by `action_id` (unknown ones get process_webhook_data). The first reply is stored for the
 * event retention, so a redelivery answers it again byte for byte.
 */
@Injectable()
export class MakeComScenariosService {
  private readonly logger = new Logger(MakeComScenariosService.name);
  private readonly actionsById = new Map<string, ScenarioAction>([
    ['get_client_data', knowledgeGraphAction],
    ['extract_client_knowledge_graph', knowledgeGraphAction],
    ['process_webhook_data', processAction],
    ['send_webhook_response', sendResponseAction],
  ]);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
    private readonly actions: MakeComActionsService,
    private readonly graphs: KnowledgeGraphsRepository,
  ) {}

  /** Adds (or replaces) the action a scenario's `action_id` runs; the extension point for new scenarios. */
  registerAction(actionId: string, action: ScenarioAction): void {
    this.actionsById.set(actionId, action);
  }

  /** The stored reply of an event, if any (exact JSON text). */
  storedReply(eventId: string): Promise<string | null> {
    return this.redis.get(this.keys.eventReply(eventId));
  }

  /**
   * The reply to an event: the stored one, or computed, stored and returned. Work longer than
   * WEBHOOK_TIMEOUT_SECONDS answers 408; it still finishes and stores its reply for the redelivery.
   */
  async replyFor(event: DomainEvent, fresh = false): Promise<string> {
    // A fresh event has no reply yet (and a racing computation is settled by SET NX): skip the read.
    const stored = fresh ? null : await this.storedReply(event.id);
    if (stored !== null) return stored;
    const work = this.computeAndStore(event);
    const seconds = this.config.makecom.timeoutSeconds;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RequestTimeoutException(`processing ${event.id} took longer than WEBHOOK_TIMEOUT_SECONDS (${seconds} s); the event is stored and a redelivery answers its result once ready`)),
        seconds * 1000,
      );
    });
    work.catch((error: Error) => this.logger.warn(`Make.com reply for ${event.id} failed: ${error.message}`));
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Computes the reply and stores it with its knowledge graph in one round trip; the first reply
   * stored stays (SET NX), so racing computations answer the same bytes.
   */
  async computeAndStore(event: DomainEvent): Promise<string> {
    const { reply, graph } = await this.compute(event);
    const text = JSON.stringify(reply);
    const key = this.keys.eventReply(event.id);
    const tx = this.redis.multi();
    if (graph) this.graphs.saveIn(tx, graph);
    const results = await tx.set(key, text, 'EX', this.config.eventRetentionSeconds, 'NX').get(key).exec();
    const stored = results?.[results.length - 1]?.[1];
    return typeof stored === 'string' ? stored : text;
  }

  private async compute(event: DomainEvent): Promise<{ reply: Record<string, unknown>; graph?: KnowledgeGraph }> {
    const data = event.data as ScenarioEventData;
    const action = data.scenario === SEED_SCENARIO ? knowledgeGraphAction : (this.actionsById.get(data.action_id) ?? processAction);
    const result = await action(event, this.actions);
    const graph = isKnowledgeGraph(result.knowledge_graph) ? result.knowledge_graph : undefined;
    const reply = {
      webhook_id: event.id,
      status: 'processed',
      client_id: data.client_id,
      result: { webhook_id: event.id, client_id: data.client_id, action_id: data.action_id, timestamp: event.receivedAt, source: sourceName(data.scenario), ...result },
    };
    return { reply, ...(graph ? { graph } : {}) };
  }
}

function isKnowledgeGraph(value: unknown): value is KnowledgeGraph {
  return typeof value === 'object' && value !== null && typeof (value as KnowledgeGraph).extraction_id === 'string' && typeof (value as KnowledgeGraph).client_id === 'string';
}

/** `make.com_chatgpt_clients` for the seed route, `make.com_<scenario>` (dashes as underscores) for others. */
function sourceName(scenario: string): string {
  return scenario === SEED_SCENARIO ? SEED_SOURCE : `make.com_${scenario.replace(/[-.]/g, '_')}`;
}
