/**
 * Knowledge-graph extraction for Make.com "chatgpt-clients" payloads.
 *
 * Pure functions: no Nest, no I/O, no clock — the caller passes ids and times so the same input always yields
 * byte-identical JSON. Payloads are untrusted JSON, so every read is type-checked, anything that does not fit is
 * ignored, and work is bounded (list caps and string cuts) so a hostile body cannot blow up memory or output size.
 */
import { createHash } from 'node:crypto';

export interface KnowledgeNode {
  id: string;
  type: 'Client' | 'Task' | 'Status' | 'Person' | 'CustomField';
  label: string;
  properties: Record<string, unknown>;
}

export interface KnowledgeRelationship {
  id: string;
  type: 'HAS_TASK' | 'HAS_STATUS' | 'ASSIGNED_TO' | 'HAS_FIELD' | 'REFERENCES_CLIENT';
  source: string;
  target: string;
  properties: Record<string, unknown>;
}

export interface KnowledgeGraph {
  client_id: string;
  extraction_id: string;
  knowledge_nodes: KnowledgeNode[];
  relationships: KnowledgeRelationship[];
  metadata: {
    source: string;
    extracted_at: string;
    include_task_details: boolean;
    node_counts: Record<string, number>;
    relationship_counts: Record<string, number>;
    total_nodes: number;
    total_relationships: number;
    truncated: boolean;
  };
}

export interface ExtractOptions {
  clientId: string;
  extractionId: string;
  extractedAt: string;
  source: string;
  includeTaskDetails: boolean;
}

export interface ProcessedWebhookData {
  client_id: string;
  action_id: string | null;
  task: {
    id: string | null;
    name: string | null;
    description: string | null;
    status: string | null;
    status_color: string | null;
  } | null;
  assignees: { id: string; username: string | null; email: string | null }[];
  custom_fields: Record<string, unknown>;
  assignee_count: number;
  custom_field_count: number;
  data_keys: string[];
}

const MAX_ASSIGNEES = 200;
const MAX_CUSTOM_FIELDS = 200;
const MAX_STRING = 2000;
const MAX_DATA_KEYS = 100;

const NODE_TYPES: KnowledgeNode['type'][] = ['Client', 'Task', 'Status', 'Person', 'CustomField'];
const RELATIONSHIP_TYPES: KnowledgeRelationship['type'][] = ['HAS_TASK', 'HAS_STATUS', 'ASSIGNED_TO', 'HAS_FIELD', 'REFERENCES_CLIENT'];

type JsonObject = Record<string, unknown>;
type FieldValue = string | number | boolean | null;

/** Records whether any list was capped or any string was cut, so the caller can tell the graph is partial. */
interface Budget {
  truncated: boolean;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a payload key such as "constructor" must never resolve to something on Object.prototype. */
function own(obj: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function cut(text: string, budget?: Budget): string {
  if (text.length <= MAX_STRING) return text;
  if (budget) budget.truncated = true;
  // Do not leave a lone high surrogate at the end: it would serialise as an invalid code point.
  const end = isHighSurrogate(text.charCodeAt(MAX_STRING - 1)) ? MAX_STRING - 1 : MAX_STRING;
  return text.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Any string (even empty), cut to the limit; everything else is null. */
function str(value: unknown, budget?: Budget): string | null {
  return typeof value === 'string' ? cut(value, budget) : null;
}

/** An identifier: a non-blank string (trimmed) or a finite number, as text; otherwise null. */
function idText(value: unknown, budget?: Budget): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value !== 'string') return null;
  const trimmed = cut(value, budget).trim();
  return trimmed === '' ? null : trimmed;
}

/** Identifiers keep their JSON type in graph properties (a numeric user id stays a number). */
function idValue(value: unknown, budget?: Budget): string | number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : idText(value, budget);
}

function firstNonBlank(...candidates: (string | null)[]): string | null {
  for (const candidate of candidates) if (candidate !== null && candidate.trim() !== '') return candidate;
  return null;
}

/** JSON.stringify can still throw on pathological nesting (RangeError) — never let that escape. */
function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function fieldValue(value: unknown, budget: Budget): FieldValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return cut(value, budget);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  const json = safeStringify(value);
  return json === undefined ? null : cut(json, budget);
}

/** The first `max` entries of an array (or [] for a non-array), flagging the budget when entries were dropped. */
function capped(value: unknown, max: number, budget: Budget): unknown[] {
  if (!Array.isArray(value)) return [];
  if (value.length > max) budget.truncated = true;
  return value.slice(0, max);
}

function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[\s_]+/g, '');
}

function resolveClientIdWith(webhookData: unknown, explicit: string | undefined, budget?: Budget): string | null {
  const fromArg = idText(explicit, budget);
  if (fromArg !== null) return fromArg;
  if (!isObject(webhookData)) return null;
  const bodyClient = own(webhookData, 'client_id');
  if (typeof bodyClient === 'string') {
    const fromBody = idText(bodyClient, budget);
    if (fromBody !== null) return fromBody;
  }
  const task = own(webhookData, 'task');
  if (!isObject(task)) return null;
  const fields = own(task, 'custom_fields');
  if (!Array.isArray(fields)) return null;
  for (const field of fields.slice(0, MAX_CUSTOM_FIELDS)) {
    if (!isObject(field)) continue;
    const name = own(field, 'name');
    if (typeof name !== 'string' || normalizeFieldName(name) !== 'clientid') continue;
    const value = idText(own(field, 'value'), budget);
    if (value !== null) return value;
  }
  return null;
}

/** The client id of a payload: the explicit argument, else body.client_id (non-empty string), else a custom field named "client_id"/"Client ID"/"clientId" (case-insensitive, spaces/underscores ignored) with a string or number value, else null. */
export function resolveClientId(webhookData: unknown, explicit?: string): string | null {
  return resolveClientIdWith(webhookData, explicit);
}

// ---- normalisation shared by the graph and the summary, so both always agree ----

interface NormalizedStatus {
  text: string;
  key: string;
  color: string | null;
}

interface NormalizedPerson {
  key: string;
  userId: string | number | null;
  username: string | null;
  email: string | null;
  initials: string | null;
}

interface NormalizedField {
  key: string;
  fieldId: string | number | null;
  name: string | null;
  fieldType: string | null;
  value: FieldValue;
  rawValue: unknown;
}

interface NormalizedTask {
  key: string;
  taskId: string | number | null;
  name: string | null;
  description: string | null;
  status: NormalizedStatus | null;
  persons: NormalizedPerson[];
  fields: NormalizedField[];
}

function normalizeStatus(raw: unknown, budget: Budget): NormalizedStatus | null {
  let text: string | null = null;
  let color: string | null = null;
  if (typeof raw === 'string') {
    text = cut(raw, budget);
  } else if (isObject(raw)) {
    text = str(own(raw, 'status'), budget);
    color = str(own(raw, 'color'), budget);
  }
  if (text === null || text.trim() === '') return null;
  return { text, key: text.trim().toLowerCase().replace(/\s+/g, '_'), color };
}

function normalizePerson(raw: unknown, budget: Budget): NormalizedPerson | null {
  if (!isObject(raw)) return null;
  const id = idText(own(raw, 'id'), budget);
  const username = str(own(raw, 'username'), budget);
  const email = str(own(raw, 'email'), budget);
  const usernameKey = idText(username);
  const emailKey = idText(email)?.toLowerCase() ?? null;
  const key = id ?? usernameKey ?? emailKey;
  if (key === null) return null;
  return { key, userId: idValue(own(raw, 'id')), username, email, initials: str(own(raw, 'initials'), budget) };
}

/** Persons in input order; a repeated key merges into its first occurrence, filling properties it lacked. */
function normalizePersons(raw: unknown, budget: Budget): NormalizedPerson[] {
  const byKey = new Map<string, NormalizedPerson>();
  for (const entry of capped(raw, MAX_ASSIGNEES, budget)) {
    const person = normalizePerson(entry, budget);
    if (person === null) continue;
    const existing = byKey.get(person.key);
    if (existing === undefined) {
      byKey.set(person.key, person);
      continue;
    }
    existing.userId ??= person.userId;
    existing.username ??= person.username;
    existing.email ??= person.email;
    existing.initials ??= person.initials;
  }
  return [...byKey.values()];
}

/** Fields in input order; a repeated field id keeps the first, since node ids must be unique. */
function normalizeFields(raw: unknown, budget: Budget): NormalizedField[] {
  const seen = new Set<string>();
  const fields: NormalizedField[] = [];
  capped(raw, MAX_CUSTOM_FIELDS, budget).forEach((entry, index) => {
    if (!isObject(entry)) return;
    const key = idText(own(entry, 'id'), budget) ?? `#${index}`;
    if (seen.has(key)) return;
    seen.add(key);
    const rawValue = own(entry, 'value');
    fields.push({
      key,
      fieldId: idValue(own(entry, 'id')),
      name: str(own(entry, 'name'), budget),
      fieldType: str(own(entry, 'type'), budget),
      value: fieldValue(rawValue, budget),
      rawValue,
    });
  });
  return fields;
}

function taskHashKey(task: JsonObject): string {
  // Unserialisable tasks (absurd nesting) share one fallback hash: still deterministic, never a throw.
  const json = safeStringify(task) ?? '[unserializable task]';
  return `sha256-${createHash('sha256').update(json).digest('hex').slice(0, 16)}`;
}

function normalizeTask(webhookData: unknown, budget: Budget): NormalizedTask | null {
  if (!isObject(webhookData)) return null;
  const task = own(webhookData, 'task');
  if (!isObject(task)) return null;
  const rawId = own(task, 'id');
  return {
    key: idText(rawId, budget) ?? taskHashKey(task),
    taskId: idValue(rawId),
    name: str(own(task, 'name'), budget),
    description: str(own(task, 'description'), budget),
    status: normalizeStatus(own(task, 'status'), budget),
    persons: normalizePersons(own(task, 'assignees'), budget),
    fields: normalizeFields(own(task, 'custom_fields'), budget),
  };
}

/** The client a field points at, if it "names a client": its value equals the payload's client, or its name says client. */
function referencedClient(field: NormalizedField, clientId: string): string | null {
  const raw = field.rawValue;
  if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) return null;
  const value = cut(String(raw)).trim();
  if (value === '') return null;
  return value === clientId || (field.name !== null && /client/i.test(field.name)) ? value : null;
}

// ---- graph ----

function relationship(type: KnowledgeRelationship['type'], source: string, target: string): KnowledgeRelationship {
  return { id: `${type}:${source}->${target}`, type, source, target, properties: {} };
}

function countBy<T extends string>(order: T[], items: { type: T }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  // Fixed key order (not first-seen order) keeps the serialised metadata stable.
  for (const type of order) {
    const n = items.filter((item) => item.type === type).length;
    if (n > 0) counts[type] = n;
  }
  return counts;
}

export function buildKnowledgeGraph(webhookData: unknown, options: ExtractOptions): KnowledgeGraph {
  const budget: Budget = { truncated: false };
  const clientId = resolveClientIdWith(webhookData, options.clientId, budget) ?? 'unknown';
  const clientNodeId = `client:${clientId}`;
  const includeDetails = options.includeTaskDetails === true;

  const nodes: KnowledgeNode[] = [{ id: clientNodeId, type: 'Client', label: clientId, properties: { client_id: clientId } }];
  const relationships: KnowledgeRelationship[] = [];

  const task = normalizeTask(webhookData, budget);
  if (task !== null) {
    const taskNodeId = `task:${task.key}`;
    const taskProperties: Record<string, unknown> = { task_id: task.taskId, name: task.name };
    if (includeDetails) {
      taskProperties.description = task.description;
      taskProperties.status = task.status?.text ?? null;
      taskProperties.status_color = task.status?.color ?? null;
    }
    nodes.push({ id: taskNodeId, type: 'Task', label: firstNonBlank(task.name) ?? task.key, properties: taskProperties });
    relationships.push(relationship('HAS_TASK', clientNodeId, taskNodeId));

    if (task.status !== null) {
      const statusNodeId = `status:${task.status.key}`;
      nodes.push({
        id: statusNodeId,
        type: 'Status',
        label: task.status.text,
        properties: { status: task.status.text, color: task.status.color },
      });
      relationships.push(relationship('HAS_STATUS', taskNodeId, statusNodeId));
    }

    for (const person of task.persons) {
      const personNodeId = `person:${person.key}`;
      nodes.push({
        id: personNodeId,
        type: 'Person',
        label: firstNonBlank(person.username, person.email) ?? person.key,
        properties: { user_id: person.userId, username: person.username, email: person.email, initials: person.initials },
      });
      relationships.push(relationship('ASSIGNED_TO', taskNodeId, personNodeId));
    }

    const references: KnowledgeRelationship[] = [];
    const extraClients: KnowledgeNode[] = [];
    const clientNodeIds = new Set([clientNodeId]);
    for (const field of task.fields) {
      const fieldNodeId = `field:${task.key}:${field.key}`;
      nodes.push({
        id: fieldNodeId,
        type: 'CustomField',
        label: firstNonBlank(field.name) ?? field.key,
        properties: { field_id: field.fieldId, name: field.name, field_type: field.fieldType, value: field.value },
      });
      relationships.push(relationship('HAS_FIELD', taskNodeId, fieldNodeId));

      const referenced = referencedClient(field, clientId);
      if (referenced === null) continue;
      const targetId = `client:${referenced}`;
      references.push(relationship('REFERENCES_CLIENT', fieldNodeId, targetId));
      if (!clientNodeIds.has(targetId)) {
        clientNodeIds.add(targetId);
        extraClients.push({ id: targetId, type: 'Client', label: referenced, properties: { client_id: referenced } });
      }
    }
    nodes.push(...extraClients);
    relationships.push(...references);
  }

  return {
    client_id: clientId,
    extraction_id: options.extractionId,
    knowledge_nodes: nodes,
    relationships,
    metadata: {
      source: options.source,
      extracted_at: options.extractedAt,
      include_task_details: includeDetails,
      node_counts: countBy(NODE_TYPES, nodes),
      relationship_counts: countBy(RELATIONSHIP_TYPES, relationships),
      total_nodes: nodes.length,
      total_relationships: relationships.length,
      truncated: budget.truncated,
    },
  };
}

// ---- summary ----

/** Sets a key as an own data property, so a field named "__proto__" cannot rewrite the map's prototype. */
function defineEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function processWebhookData(webhookData: unknown, clientId: string | undefined, actionId: string | undefined): ProcessedWebhookData {
  const budget: Budget = { truncated: false };
  const body = isObject(webhookData) ? webhookData : {};
  const task = normalizeTask(webhookData, budget);
  const bodyAction = own(body, 'action_id');

  const customFields: Record<string, unknown> = {};
  for (const field of task?.fields ?? []) {
    const name = firstNonBlank(field.name) ?? field.key;
    // First occurrence wins, matching the graph's handling of repeated fields.
    if (!Object.prototype.hasOwnProperty.call(customFields, name)) defineEntry(customFields, name, field.value);
  }
  const assignees = (task?.persons ?? []).map((person) => ({ id: person.key, username: person.username, email: person.email }));

  return {
    client_id: resolveClientIdWith(webhookData, clientId, budget) ?? 'unknown',
    action_id: actionId ?? (typeof bodyAction === 'string' ? cut(bodyAction, budget) : null),
    task:
      task === null
        ? null
        : {
            id: idText(task.taskId),
            name: task.name,
            description: task.description,
            status: task.status?.text ?? null,
            status_color: task.status?.color ?? null,
          },
    assignees,
    custom_fields: customFields,
    assignee_count: assignees.length,
    custom_field_count: task?.fields.length ?? 0,
    data_keys: Object.keys(body)
      .sort()
      .slice(0, MAX_DATA_KEYS)
      .map((key) => cut(key, budget)),
  };
}
