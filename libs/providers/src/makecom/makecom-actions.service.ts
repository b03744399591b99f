import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { ApprovalActor, ApprovalsService } from '@hub/approvals';
import { HubConfig } from '@hub/config';
import { newEventId } from '@hub/store';
import { hmacSha256, parseHexSignature } from '@hub/webhook-core';
import { timingSafeEqual } from 'node:crypto';
import { KnowledgeGraph, ProcessedWebhookData, buildKnowledgeGraph, processWebhookData, resolveClientId } from './knowledge-graph';
import { KnowledgeGraphsRepository } from './knowledge-graphs.repository';
import {
  extractKnowledgeGraphInput,
  getKnowledgeGraphInput,
  processWebhookDataInput,
  sendWebhookResponseInput,
  validateSignatureInput,
} from './makecom-actions.schemas';

type Input<T extends z.ZodRawShape> = z.infer<z.ZodObject<T>>;

/** The approval action an approved send_webhook_response runs (MakeComResponseRunner). */
export const SEND_WEBHOOK_RESPONSE = 'makecom.send_webhook_response';
export const SEED_SOURCE = 'make.com_chatgpt_clients';

/**
 * The Make.com document's four actions, called by the REST routes (`POST /api/v1/actions/<name>`),
 * the MCP tools of the same names and the scenario replies.
 */
@Injectable()
export class MakeComActionsService {
  constructor(
    private readonly graphs: KnowledgeGraphsRepository,
    private readonly approvals: ApprovalsService,
    private readonly config: HubConfig,
  ) {}

  processWebhookData(input: Input<typeof processWebhookDataInput>, now = Date.now()): ProcessedWebhookData & { processed_at: string } {
    return { ...processWebhookData(input.webhook_data, input.client_id, input.action_id), processed_at: new Date(now).toISOString() };
  }

  /** Extracts and stores a graph (the action of the same name). */
  async extractKnowledgeGraph(input: Input<typeof extractKnowledgeGraphInput>): Promise<KnowledgeGraph> {
    const graph = this.buildGraph(input);
    await this.graphs.save(graph);
    return graph;
  }

  /** Extracts a graph without storing it; `extraction` fixes its id and time (a scenario reply derives them from its event). */
  buildGraph(input: Input<typeof extractKnowledgeGraphInput>, extraction: { id?: string; at?: string; source?: string } = {}): KnowledgeGraph {
    return buildKnowledgeGraph(input.webhook_data, {
      clientId: resolveClientId(input.webhook_data, input.client_id) ?? 'unknown',
      extractionId: extraction.id ?? newEventId().replace(/^evt_/, 'kg_'),
      extractedAt: extraction.at ?? new Date().toISOString(),
      source: extraction.source ?? SEED_SOURCE,
      includeTaskDetails: input.include_task_details ?? true,
    });
  }

  async getKnowledgeGraph(input: Input<typeof getKnowledgeGraphInput>): Promise<KnowledgeGraph> {
    if (input.extraction_id) {
      const graph = await this.graphs.get(input.extraction_id);
      if (!graph) throw new NotFoundException(`knowledge graph ${input.extraction_id} not found (unknown, or older than the retention window)`);
      return graph;
    }
    if (input.client_id) {
      const graph = await this.graphs.latestOfClient(input.client_id);
      if (!graph) throw new NotFoundException(`no knowledge graph has been extracted for client ${input.client_id.slice(0, 80)}`);
      return graph;
    }
    throw new BadRequestException('give extraction_id or client_id');
  }

  /**
   * Answers only whether the signature is the HMAC-SHA256 of the payload under the given secret, or
   * under any MAKE_COM_WEBHOOK_SECRET: never the expected signature, never a secret.
   */
  validateWebhookSignature(input: Input<typeof validateSignatureInput>): { valid: boolean } {
    const secrets = input.secret_key !== undefined ? [input.secret_key] : this.config.makecom.secrets;
    if (secrets.length === 0) throw new BadRequestException('no secret to check with: pass secret_key or set MAKE_COM_WEBHOOK_SECRET');
    const signature = parseHexSignature(input.signature, { prefix: 'sha256=', prefixOptional: true });
    if (!signature) return { valid: false };
    const payload = Buffer.from(typeof input.webhook_data === 'string' ? input.webhook_data : JSON.stringify(input.webhook_data), 'utf8');
    let valid = false;
    for (const secret of secrets) {
      const expected = hmacSha256(secret, payload);
      if (timingSafeEqual(expected, signature)) valid = true;
    }
    return { valid };
  }

  /**
   * Nothing is sent now: the response waits for a human decision (approval), then goes out once.
   * `approvalId` makes the request idempotent (a scenario derives it from its event).
   */
  async sendWebhookResponse(
    input: Input<typeof sendWebhookResponseInput>,
    requestedBy: ApprovalActor,
    approvalId?: string,
  ): Promise<{ approval_id: string; status: string; expires_at: string; message: string }> {
    const responseType = input.response_type ?? 'success';
    const approval = await this.approvals.request({
      action: SEND_WEBHOOK_RESPONSE,
      arguments: { response_url: input.response_url, response_type: responseType, client_id: input.client_id, response_data: input.response_data },
      summary: `Send a "${responseType}" response about client ${input.client_id} to ${input.response_url}`,
      requestedBy,
    }, approvalId ? { id: approvalId } : {});
    return {
      approval_id: approval.id,
      status: approval.status,
      expires_at: approval.expiresAt,
      message: 'waiting for approval: approve or reject it with decide_approval, POST /api/v1/approvals/:id/approve|reject, or the Telegram buttons',
    };
  }
}
