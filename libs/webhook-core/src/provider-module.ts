import { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';

/** What this process runs (HubConfig has both), so a module loads only what its role uses. */
export interface ProcessRoles {
  readonly runsGateway: boolean;
  readonly runsWorker: boolean;
}

/** Neither HTTP nor the worker: the stdio MCP server, which needs only the shared parts (adapters, tools). */
export const TOOLS_ONLY: ProcessRoles = { runsGateway: false, runsWorker: false };

export interface ProviderModuleParts {
  imports?: (Type | DynamicModule | Promise<DynamicModule> | ForwardReference)[];
  /** Loaded in every process: adapters, services, MCP toolsets. */
  providers: Provider[];
  /** HTTP routes: only where the gateway runs. */
  controllers?: Type[];
  /** Stream handlers and queue processors: only where the worker runs. */
  workerProviders?: Provider[];
  exports?: (Provider | string | symbol | Type)[];
}

/**
 * A provider module for one process: its routes where the gateway runs, its stream handlers and
 * processors where the worker runs, the rest everywhere. A worker-only process thus serves no
 * ingress route, and a gateway-only one starts no queue worker.
 */
export function providerModule(module: Type, roles: ProcessRoles, parts: ProviderModuleParts): DynamicModule {
  return {
    module,
    imports: parts.imports ?? [],
    controllers: roles.runsGateway ? (parts.controllers ?? []) : [],
    providers: [...parts.providers, ...(roles.runsWorker ? (parts.workerProviders ?? []) : [])],
    exports: parts.exports ?? [],
  };
}
