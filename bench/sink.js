#!/usr/bin/env node
/*
 * The receiving endpoint every delivery scenario POSTs to, in its own process so that it does not
 * share an event loop with the load generator. It answers 204 at once and records, per event, the
 * first arrival on the monotonic clock (process.hrtime, CLOCK_MONOTONIC on Linux: comparable with the
 * parent's clock). Events are told apart by the WhatsApp message id the bench put in them,
 * `wamid.b-<tag>-<n>`, found in `data.message.id` (the hub's delivery body and the delivery baselines')
 * or `data.id`; anything else is counted as "other".
 *
 * The parent asks over IPC: {rid, op: 'count', tag} -> {unique, total, firstNs, lastNs};
 * {rid, op: 'arrivals', tag} -> {arrivals: [[n, ns], ...]}; {rid, op: 'forget', tag}; {rid, op: 'totals'}.
 */
'use strict';
const http = require('node:http');

const KEY = /^wamid\.b-([a-z0-9]+)-(\d+)$/;
const tags = new Map();
let requests = 0;
let other = 0;

function record(raw, at) {
  let key;
  try {
    const body = JSON.parse(raw);
    key = body?.data?.message?.id ?? body?.data?.id;
  } catch {
    key = undefined;
  }
  const match = typeof key === 'string' ? KEY.exec(key) : null;
  if (!match) {
    other++;
    return;
  }
  let tag = tags.get(match[1]);
  if (!tag) tags.set(match[1], (tag = { total: 0, firstNs: 0, lastNs: 0, arrivals: new Map() }));
  tag.total++;
  const n = Number(match[2]);
  if (!tag.arrivals.has(n)) {
    tag.arrivals.set(n, at);
    tag.firstNs ||= at;
    tag.lastNs = at;
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Number(process.hrtime.bigint());
    requests++;
    res.writeHead(204);
    res.end();
    record(Buffer.concat(chunks).toString('utf8'), at);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

process.on('message', ({ rid, op, tag }) => {
  const t = tags.get(tag);
  if (op === 'count') process.send({ rid, unique: t?.arrivals.size ?? 0, total: t?.total ?? 0, firstNs: t?.firstNs ?? 0, lastNs: t?.lastNs ?? 0 });
  else if (op === 'arrivals') process.send({ rid, arrivals: t ? [...t.arrivals] : [] });
  else if (op === 'forget') {
    tags.delete(tag);
    process.send({ rid });
  } else if (op === 'totals') process.send({ rid, requests, other });
});
process.once('disconnect', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  if (process.send) process.send({ ready: true, name: 'sink', port: server.address().port, pid: process.pid });
  else console.log(`sink listening on http://127.0.0.1:${server.address().port}`);
});
