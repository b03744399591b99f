import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExtractOptions, KnowledgeGraph, buildKnowledgeGraph, processWebhookData, resolveClientId } from './knowledge-graph';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/makecom', `${name}.json`), 'utf8'));

const seed = fixture('seed-chatgpt-clients');
const curl = fixture('seed-curl-test-client');

const options: ExtractOptions = {
  clientId: 'client-123',
  extractionId: 'extraction-1',
  extractedAt: '2024-01-01T00:00:00.000Z',
  source: 'make.com_chatgpt_clients',
  includeTaskDetails: true,
};

const ids = (graph: KnowledgeGraph) => graph.knowledge_nodes.map((node) => node.id);
const node = (graph: KnowledgeGraph, id: string) => graph.knowledge_nodes.find((n) => n.id === id);

/** The graph's own invariants: unique ids, relationships between existing nodes, counts matching the arrays. */
function expectConsistent(graph: KnowledgeGraph): void {
  const nodeIds = ids(graph);
  expect(new Set(nodeIds).size).toBe(nodeIds.length);
  const relIds = graph.relationships.map((r) => r.id);
  expect(new Set(relIds).size).toBe(relIds.length);
  for (const rel of graph.relationships) {
    expect(nodeIds).toContain(rel.source);
    expect(nodeIds).toContain(rel.target);
    expect(rel.id).toBe(`${rel.type}:${rel.source}->${rel.target}`);
  }
  expect(graph.metadata.total_nodes).toBe(graph.knowledge_nodes.length);
  expect(graph.metadata.total_relationships).toBe(graph.relationships.length);
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  expect(sum(graph.metadata.node_counts)).toBe(graph.knowledge_nodes.length);
  expect(sum(graph.metadata.relationship_counts)).toBe(graph.relationships.length);
}

function taskWith(extra: Record<string, unknown>): Record<string, unknown> {
  return { client_id: 'client-123', task: { id: 'task_1', name: 'T', ...extra } };
}

describe('buildKnowledgeGraph on the seed fixture', () => {
  const graph = buildKnowledgeGraph(seed, options);

  it('extracts one node of each type and one relationship of each type', () => {
    expect(graph.metadata.node_counts).toEqual({ Client: 1, Task: 1, Status: 1, Person: 1, CustomField: 1 });
    expect(graph.metadata.relationship_counts).toEqual({
      HAS_TASK: 1,
      HAS_STATUS: 1,
      ASSIGNED_TO: 1,
      HAS_FIELD: 1,
      REFERENCES_CLIENT: 1,
    });
    expect(graph.metadata).toMatchObject({
      source: 'make.com_chatgpt_clients',
      extracted_at: '2024-01-01T00:00:00.000Z',
      include_task_details: true,
      total_nodes: 5,
      total_relationships: 5,
      truncated: false,
    });
    expect(graph.client_id).toBe('client-123');
    expect(graph.extraction_id).toBe('extraction-1');
    expectConsistent(graph);
  });

  it('uses readable, stable ids in the documented order', () => {
    expect(ids(graph)).toEqual(['client:client-123', 'task:task_123', 'status:in_progress', 'person:1', 'field:task_123:field_1']);
    expect(graph.relationships.map((r) => r.id)).toEqual([
      'HAS_TASK:client:client-123->task:task_123',
      'HAS_STATUS:task:task_123->status:in_progress',
      'ASSIGNED_TO:task:task_123->person:1',
      'HAS_FIELD:task:task_123->field:task_123:field_1',
      'REFERENCES_CLIENT:field:task_123:field_1->client:client-123',
    ]);
    for (const rel of graph.relationships) expect(rel.properties).toEqual({});
  });

  it('fills node labels and properties', () => {
    expect(node(graph, 'client:client-123')).toEqual({
      id: 'client:client-123',
      type: 'Client',
      label: 'client-123',
      properties: { client_id: 'client-123' },
    });
    expect(node(graph, 'task:task_123')).toEqual({
      id: 'task:task_123',
      type: 'Task',
      label: 'Client Task Name',
      properties: {
        task_id: 'task_123',
        name: 'Client Task Name',
        description: 'Task description',
        status: 'in progress',
        status_color: '#ff6b6b',
      },
    });
    expect(node(graph, 'status:in_progress')).toMatchObject({ label: 'in progress', properties: { status: 'in progress', color: '#ff6b6b' } });
    expect(node(graph, 'person:1')).toMatchObject({
      label: 'user1',
      properties: { user_id: 1, username: 'user1', email: 'user1@example.com', initials: 'U1' },
    });
    expect(node(graph, 'field:task_123:field_1')).toMatchObject({
      label: 'Client ID',
      properties: { field_id: 'field_1', name: 'Client ID', field_type: 'text', value: 'client-123' },
    });
  });

  it('is deterministic: the same input gives byte-identical JSON', () => {
    const again = buildKnowledgeGraph(JSON.parse(JSON.stringify(seed)), { ...options });
    expect(JSON.stringify(again)).toBe(JSON.stringify(graph));
  });

  it('omits description, status and colour from the task without includeTaskDetails', () => {
    const brief = buildKnowledgeGraph(seed, { ...options, includeTaskDetails: false });
    expect(node(brief, 'task:task_123')?.properties).toEqual({ task_id: 'task_123', name: 'Client Task Name' });
    expect(brief.metadata.include_task_details).toBe(false);
    expect(JSON.stringify(brief)).not.toContain('Task description');
  });
});

describe('buildKnowledgeGraph shapes', () => {
  it('counts 3 assignees and 4 custom fields', () => {
    const payload = taskWith({
      assignees: [
        { id: 1, username: 'a' },
        { id: 'u2', email: 'b@example.com' },
        { username: 'c' },
      ],
      custom_fields: [
        { id: 'f1', name: 'One', type: 'text', value: 'x' },
        { id: 'f2', name: 'Two', type: 'number', value: 2 },
        { id: 'f3', name: 'Three', type: 'checkbox', value: true },
        { id: 'f4', name: 'Four', type: 'json', value: { nested: [1, 2] } },
      ],
    });
    const graph = buildKnowledgeGraph(payload, options);
    expect(graph.metadata.node_counts).toEqual({ Client: 1, Task: 1, Person: 3, CustomField: 4 });
    expect(graph.metadata.relationship_counts).toEqual({ HAS_TASK: 1, ASSIGNED_TO: 3, HAS_FIELD: 4 });
    expect(ids(graph)).toEqual([
      'client:client-123',
      'task:task_1',
      'person:1',
      'person:u2',
      'person:c',
      'field:task_1:f1',
      'field:task_1:f2',
      'field:task_1:f3',
      'field:task_1:f4',
    ]);
    expect(node(graph, 'person:u2')?.label).toBe('b@example.com');
    expect(node(graph, 'field:task_1:f4')?.properties.value).toBe('{"nested":[1,2]}');
    expect(node(graph, 'field:task_1:f3')?.properties.value).toBe(true);
    expectConsistent(graph);
  });

  it('adds a Client node for a field that names another client', () => {
    const payload = taskWith({
      custom_fields: [
        { id: 'f1', name: 'Parent Client', value: 'client-999' },
        { id: 'f2', name: 'Other client ref', value: 'client-999' },
        { id: 'f3', name: 'Mirror', value: 'client-123' },
        { id: 'f4', name: 'Notes', value: 'client-555' },
      ],
    });
    const graph = buildKnowledgeGraph(payload, options);
    expect(graph.metadata.node_counts).toEqual({ Client: 2, Task: 1, CustomField: 4 });
    expect(ids(graph).at(-1)).toBe('client:client-999');
    expect(node(graph, 'client:client-999')).toEqual({
      id: 'client:client-999',
      type: 'Client',
      label: 'client-999',
      properties: { client_id: 'client-999' },
    });
    // f4 neither matches the payload's client nor is named like a client field.
    expect(graph.relationships.filter((r) => r.type === 'REFERENCES_CLIENT').map((r) => r.id)).toEqual([
      'REFERENCES_CLIENT:field:task_1:f1->client:client-999',
      'REFERENCES_CLIENT:field:task_1:f2->client:client-999',
      'REFERENCES_CLIENT:field:task_1:f3->client:client-123',
    ]);
    expectConsistent(graph);
  });

  it('treats a numeric client field value as a client id', () => {
    const graph = buildKnowledgeGraph(taskWith({ custom_fields: [{ id: 'f', name: 'Client number', value: 42 }] }), options);
    expect(node(graph, 'client:42')?.properties).toEqual({ client_id: '42' });
  });

  it('has just the client node without a task (curl fixture has a task without status/assignees/fields)', () => {
    for (const payload of [{ client_id: 'client-123' }, { client_id: 'client-123', task: 'nope' }, { task: [1, 2] }]) {
      const graph = buildKnowledgeGraph(payload, options);
      expect(ids(graph)).toEqual(['client:client-123']);
      expect(graph.relationships).toEqual([]);
      expect(graph.metadata.node_counts).toEqual({ Client: 1 });
      expect(graph.metadata.relationship_counts).toEqual({});
    }
    const fromCurl = buildKnowledgeGraph(curl, { ...options, clientId: 'test-client' });
    expect(ids(fromCurl)).toEqual(['client:test-client', 'task:task_123']);
    expect(node(fromCurl, 'task:task_123')?.properties).toEqual({
      task_id: 'task_123',
      name: 'Test Task',
      description: 'Test description',
      status: null,
      status_color: null,
    });
  });

  it('hashes a task without an id and labels it with its name', () => {
    const payload = { task: { name: 'No id', description: 'd' } };
    const a = buildKnowledgeGraph(payload, options);
    const taskNode = a.knowledge_nodes[1];
    expect(taskNode.id).toMatch(/^task:sha256-[0-9a-f]{16}$/);
    expect(taskNode.label).toBe('No id');
    expect(taskNode.properties.task_id).toBeNull();
    expect(buildKnowledgeGraph({ task: { name: 'No id', description: 'd' } }, options).knowledge_nodes[1].id).toBe(taskNode.id);
    expect(buildKnowledgeGraph({ task: { name: 'Other' } }, options).knowledge_nodes[1].id).not.toBe(taskNode.id);
  });

  it('accepts a numeric task id and a plain-string status', () => {
    const graph = buildKnowledgeGraph({ task: { id: 7, status: '  Needs   Review ' } }, options);
    expect(ids(graph)).toEqual(['client:client-123', 'task:7', 'status:needs_review']);
    expect(node(graph, 'task:7')?.label).toBe('7');
    expect(node(graph, 'status:needs_review')?.properties.color).toBeNull();
  });

  it('skips blank statuses', () => {
    for (const status of ['', '   ', { status: '' }, { color: '#fff' }, 5, null]) {
      const graph = buildKnowledgeGraph(taskWith({ status }), options);
      expect(graph.metadata.node_counts.Status).toBeUndefined();
    }
  });

  it('merges duplicate assignees into one node and one relationship', () => {
    const graph = buildKnowledgeGraph(
      taskWith({
        assignees: [
          { id: 1, username: 'a' },
          { id: '1', email: 'a@example.com' },
          { email: 'B@Example.com' },
          { email: 'b@example.com' },
          { initials: 'only' },
          'x',
          null,
        ],
      }),
      options,
    );
    expect(ids(graph).filter((id) => id.startsWith('person:'))).toEqual(['person:1', 'person:b@example.com']);
    expect(node(graph, 'person:1')?.properties).toEqual({ user_id: 1, username: 'a', email: 'a@example.com', initials: null });
    expect(node(graph, 'person:b@example.com')?.label).toBe('B@Example.com');
    expect(graph.metadata.relationship_counts.ASSIGNED_TO).toBe(2);
    expectConsistent(graph);
  });

  it('uses the index for fields without an id and ignores non-object fields', () => {
    const graph = buildKnowledgeGraph(taskWith({ custom_fields: [7, { name: 'A', value: 'x' }, null, { value: [1] }, { id: 'f', value: 'y' }] }), options);
    expect(ids(graph).filter((id) => id.startsWith('field:'))).toEqual(['field:task_1:#1', 'field:task_1:#3', 'field:task_1:f']);
    expect(node(graph, 'field:task_1:#3')).toMatchObject({ label: '#3', properties: { field_id: null, name: null, value: '[1]' } });
    expect(node(graph, 'field:task_1:f')?.label).toBe('f');
    expectConsistent(graph);
  });
});

describe('buildKnowledgeGraph on hostile input', () => {
  it('never throws on non-object bodies', () => {
    for (const payload of [null, undefined, [], [seed], 'string', 42, true, {}, { client_id: 5 }, { task: null }]) {
      const graph = buildKnowledgeGraph(payload, options);
      expect(ids(graph)).toEqual(['client:client-123']);
      expectConsistent(graph);
    }
  });

  it('falls back to "unknown" when no client id is known anywhere', () => {
    const graph = buildKnowledgeGraph(null, { ...options, clientId: '' });
    expect(graph.client_id).toBe('unknown');
    expect(ids(graph)).toEqual(['client:unknown']);
  });

  it('survives a 1000-level nested object in every slot', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 1000; i++) deep = { next: deep };
    const payload = {
      client_id: deep,
      deep,
      task: { id: deep, name: deep, status: deep, assignees: [deep, { id: deep }], custom_fields: [{ id: 'f', name: 'Client', value: deep }], deep },
    };
    const graph = buildKnowledgeGraph(payload, options);
    expect(graph.metadata.node_counts).toEqual({ Client: 1, Task: 1, CustomField: 1 });
    const field = graph.knowledge_nodes.find((n) => n.type === 'CustomField');
    expect(field?.properties.value).toHaveLength(2000);
    expect(graph.metadata.truncated).toBe(true);
    expectConsistent(graph);
    expect(() => processWebhookData(payload, undefined, undefined)).not.toThrow();
  });

  it('does not throw when JSON.stringify itself overflows the stack', () => {
    let abyss: unknown = 0;
    for (let i = 0; i < 200_000; i++) abyss = [abyss];
    const graph = buildKnowledgeGraph({ task: { custom_fields: [{ id: 'f', value: abyss }], abyss } }, options);
    expect(graph.knowledge_nodes[1].id).toMatch(/^task:sha256-[0-9a-f]{16}$/);
    expectConsistent(graph);
    expect(() => processWebhookData({ task: { custom_fields: [{ id: 'f', value: abyss }] } }, undefined, undefined)).not.toThrow();
  });

  it('caps 10,000 assignees and custom fields at 200 each and reports truncation', () => {
    const assignees = Array.from({ length: 10_000 }, (_, i) => ({ id: i, username: `u${i}` }));
    const custom_fields = Array.from({ length: 10_000 }, (_, i) => ({ id: `f${i}`, name: `F${i}`, value: i }));
    const graph = buildKnowledgeGraph(taskWith({ assignees, custom_fields }), options);
    expect(graph.metadata.node_counts).toEqual({ Client: 1, Task: 1, Person: 200, CustomField: 200 });
    expect(graph.metadata.truncated).toBe(true);
    expect(node(graph, 'person:199')).toBeDefined();
    expect(node(graph, 'person:200')).toBeUndefined();
    expectConsistent(graph);

    const exact = buildKnowledgeGraph(taskWith({ assignees: assignees.slice(0, 200) }), options);
    expect(exact.metadata.truncated).toBe(false);
  });

  it('ignores assignees and custom_fields that are not arrays', () => {
    for (const bad of [{ 0: { id: 1 } }, 'user1', 5, null, true]) {
      const graph = buildKnowledgeGraph(taskWith({ assignees: bad, custom_fields: bad }), options);
      expect(graph.metadata.node_counts).toEqual({ Client: 1, Task: 1 });
    }
  });

  it('cuts long strings to 2000 characters', () => {
    const long = 'x'.repeat(5000);
    const graph = buildKnowledgeGraph(
      { client_id: long, task: { id: long, name: long, description: long, status: { status: long, color: long } } },
      { ...options, clientId: '' },
    );
    expect(graph.client_id).toHaveLength(2000);
    for (const n of graph.knowledge_nodes) {
      expect(n.label.length).toBeLessThanOrEqual(2000);
      for (const value of Object.values(n.properties)) if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(2000);
    }
    expect(graph.metadata.truncated).toBe(true);
    // A cut never leaves half of a surrogate pair behind.
    const emoji = buildKnowledgeGraph(taskWith({ name: 'a'.repeat(1999) + '😀'.repeat(10) }), options);
    expect(emoji.knowledge_nodes[1].label).toBe('a'.repeat(1999));
  });

  it('does not read inherited properties or let "__proto__" keys leak', () => {
    const payload = JSON.parse('{"task":{"id":"t","custom_fields":[{"id":"p","name":"__proto__","value":"polluted"}]}}');
    const summary = processWebhookData(payload, 'c', undefined);
    expect(Object.keys(summary.custom_fields)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(summary.custom_fields)).toBe(Object.prototype);
    expect(buildKnowledgeGraph({ task: { constructor: 1 } }, options).knowledge_nodes).toHaveLength(2);
  });
});

describe('resolveClientId', () => {
  it('prefers the explicit argument, then body.client_id', () => {
    expect(resolveClientId(seed, 'explicit')).toBe('explicit');
    expect(resolveClientId(seed)).toBe('client-123');
    expect(resolveClientId({ client_id: '  padded  ' })).toBe('padded');
    expect(resolveClientId(seed, '')).toBe('client-123');
  });

  it('falls back to a client-id custom field, in any spelling', () => {
    for (const name of ['client_id', 'Client ID', 'clientId', 'CLIENT_ID', 'client id']) {
      expect(resolveClientId({ task: { custom_fields: [{ name, value: 'from-field' }] } })).toBe('from-field');
    }
    expect(resolveClientId({ task: { custom_fields: [{ name: 'Client ID', value: 77 }] } })).toBe('77');
    expect(resolveClientId({ client_id: '', task: { custom_fields: [{ name: 'x' }, { name: 'ClientId', value: 'ok' }] } })).toBe('ok');
  });

  it('returns null when nothing fits', () => {
    expect(resolveClientId(null)).toBeNull();
    expect(resolveClientId('client-123')).toBeNull();
    expect(resolveClientId([{ client_id: 'a' }])).toBeNull();
    expect(resolveClientId({ client_id: 123 })).toBeNull();
    expect(resolveClientId({ client_id: '   ' })).toBeNull();
    expect(resolveClientId({ task: { custom_fields: [{ name: 'Client Name', value: 'Acme' }] } })).toBeNull();
    expect(resolveClientId({ task: { custom_fields: [{ name: 'client_id', value: { id: 1 } }] } })).toBeNull();
    expect(resolveClientId({ task: { custom_fields: 'client_id' } })).toBeNull();
  });
});

describe('processWebhookData', () => {
  it('summarises the seed fixture', () => {
    expect(processWebhookData(seed, undefined, undefined)).toEqual({
      client_id: 'client-123',
      action_id: 'get_client_data',
      task: {
        id: 'task_123',
        name: 'Client Task Name',
        description: 'Task description',
        status: 'in progress',
        status_color: '#ff6b6b',
      },
      assignees: [{ id: '1', username: 'user1', email: 'user1@example.com' }],
      custom_fields: { 'Client ID': 'client-123' },
      assignee_count: 1,
      custom_field_count: 1,
      data_keys: ['action_id', 'client_id', 'task'],
    });
  });

  it('summarises the curl fixture (task without status, assignees or fields)', () => {
    expect(processWebhookData(curl, undefined, undefined)).toEqual({
      client_id: 'test-client',
      action_id: 'get_client_data',
      task: { id: 'task_123', name: 'Test Task', description: 'Test description', status: null, status_color: null },
      assignees: [],
      custom_fields: {},
      assignee_count: 0,
      custom_field_count: 0,
      data_keys: ['action_id', 'client_id', 'task'],
    });
  });

  it('lets explicit arguments win', () => {
    const summary = processWebhookData(seed, 'override', 'other_action');
    expect(summary.client_id).toBe('override');
    expect(summary.action_id).toBe('other_action');
  });

  it('never throws and stays bounded on hostile input', () => {
    for (const payload of [null, undefined, 'x', 3, [], [1, 2], { task: 'x' }, { action_id: 5, task: { assignees: {}, custom_fields: 7 } }]) {
      const summary = processWebhookData(payload, undefined, undefined);
      expect(summary.client_id).toBe('unknown');
      expect(summary.action_id).toBeNull();
      expect(summary.assignee_count).toBe(0);
      expect(summary.custom_field_count).toBe(0);
    }
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i]));
    const assignees = Array.from({ length: 10_000 }, (_, i) => ({ id: i }));
    const custom_fields = Array.from({ length: 10_000 }, (_, i) => ({ name: `n${i}`, value: { i } }));
    const summary = processWebhookData({ ...wide, task: { assignees, custom_fields } }, undefined, undefined);
    expect(summary.data_keys).toHaveLength(100);
    expect(summary.data_keys[0]).toBe('k000');
    expect(summary.assignee_count).toBe(200);
    expect(summary.assignees[199]).toEqual({ id: '199', username: null, email: null });
    expect(summary.custom_field_count).toBe(200);
    expect(summary.custom_fields.n0).toBe('{"i":0}');
    expect(summary.task).toEqual({ id: null, name: null, description: null, status: null, status_color: null });
  });
});
