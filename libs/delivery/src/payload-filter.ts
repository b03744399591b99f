/**
 * Payload filters: conditions on an event's `data`, all of which must hold (AND). Paths are dotted
 * JSON paths with optional array indexes and an optional `$.` prefix: `message.type`,
 * `$.statuses[0].status`. Svix and Convoy filter by type only; this refines a type match.
 */
export type FilterOperator = 'equals' | 'notEquals' | 'in' | 'exists' | 'notExists' | 'contains';

export interface FilterCondition {
  path: string;
  op: FilterOperator;
  /** Compared value: any JSON for equals/notEquals, an array for `in`, a string or value for `contains`. */
  value?: unknown;
}

export const FILTER_OPERATORS: readonly FilterOperator[] = ['equals', 'notEquals', 'in', 'exists', 'notExists', 'contains'];
const PATH = /^(\$\.)?[A-Za-z0-9_-]+(\[\d{1,6}\])*(\.[A-Za-z0-9_-]+(\[\d{1,6}\])*)*$/;

/** Problems with a filter, each naming the condition; empty when the filter is usable. */
export function validateFilter(conditions: unknown): string[] {
  if (!Array.isArray(conditions)) return ['filter must be an array of {path, op, value} conditions'];
  if (conditions.length > 20) return ['filter may hold at most 20 conditions'];
  const problems: string[] = [];
  conditions.forEach((c, i) => {
    const at = `filter[${i}]`;
    if (typeof c !== 'object' || c === null) return problems.push(`${at} must be an object`);
    const { path, op, value } = c as Record<string, unknown>;
    if (typeof path !== 'string' || path.length > 200 || !PATH.test(path)) problems.push(`${at}.path must be a dotted JSON path such as "message.type"`);
    if (!FILTER_OPERATORS.includes(op as FilterOperator)) problems.push(`${at}.op must be one of ${FILTER_OPERATORS.join(', ')}`);
    if (op === 'in' && !Array.isArray(value)) problems.push(`${at}.value must be an array for op "in"`);
    if ((op === 'equals' || op === 'notEquals' || op === 'contains') && value === undefined) problems.push(`${at}.value is required for op "${op}"`);
    return undefined;
  });
  return problems;
}

export function matchesFilter(conditions: readonly FilterCondition[] | undefined, data: unknown): boolean {
  if (!conditions || conditions.length === 0) return true;
  return conditions.every((c) => matchesCondition(c, data));
}

function matchesCondition(condition: FilterCondition, data: unknown): boolean {
  const found = readPath(data, condition.path);
  switch (condition.op) {
    case 'exists':
      return found.present;
    case 'notExists':
      return !found.present;
    case 'equals':
      return found.present && deepEqual(found.value, condition.value);
    case 'notEquals':
      return !found.present || !deepEqual(found.value, condition.value);
    case 'in':
      return found.present && Array.isArray(condition.value) && condition.value.some((v) => deepEqual(found.value, v));
    case 'contains':
      if (!found.present) return false;
      if (typeof found.value === 'string') return typeof condition.value === 'string' && found.value.includes(condition.value);
      return Array.isArray(found.value) && found.value.some((v) => deepEqual(v, condition.value));
    default:
      return false;
  }
}

export function readPath(data: unknown, path: string): { present: boolean; value?: unknown } {
  const steps = path.replace(/^\$\./, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current: unknown = data;
  for (const step of steps) {
    if (step.startsWith('[')) {
      const index = Number(step.slice(1, -1));
      if (!Array.isArray(current) || index >= current.length) return { present: false };
      current = current[index];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, step)) {
        return { present: false };
      }
      current = (current as Record<string, unknown>)[step];
    }
  }
  return { present: true, value: current };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
