/** The roles one process can play: the HTTP gateway, the background worker, or both (the default). */
export type HubRole = 'gateway' | 'worker' | 'all';

export interface WhatsAppConfig {
  /** Meta App Secrets (X-Hub-Signature-256); every listed secret verifies. */
  appSecrets: string[];
  /** Bridge secrets (X-Webhook-Signature); every listed secret verifies. */
  webhookSecrets: string[];
  /** Tokens accepted in the GET hub.verify_token handshake. */
  verifyTokens: string[];
}

/**
 * The validated, typed configuration of one hub process. Built once at boot by `loadHubConfig`
 * and injected by this class token, so nothing else reads `process.env`.
 */
export class HubConfig {
  port!: number;
  host!: string;
  redisUrl!: string;
  /** Prefix of every Redis key and queue. */
  prefix!: string;
  role!: HubRole;
  adminToken!: string;
  /** True when HUB_ADMIN_TOKEN was unset and the token above was generated at boot. */
  adminTokenGenerated!: boolean;
  httpAdapter!: 'express';
  publicUrl!: string;
  logLevel!: string;
  maxBodyBytes!: number;
  dedupeTtlSeconds!: number;
  eventRetentionSeconds!: number;
  eventStreamMaxLen!: number;
  rateLimit!: { limit: number; windowMs: number };
  stream!: { consumerName: string; claimIdleMs: number; batchSize: number; maxDeliveries: number };
  allowPrivateTargets!: boolean;
  mcpAuth!: 'token' | 'off';
  whatsapp!: WhatsAppConfig;

  get runsGateway(): boolean {
    return this.role !== 'worker';
  }

  get runsWorker(): boolean {
    return this.role !== 'gateway';
  }
}
