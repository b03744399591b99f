#!/usr/bin/env node
/*
 * Baseline, the ceiling: a bare Node `http` server that reads the body and answers 202. No
 * verification, no parsing, no Redis: what HTTP and the load generator cost on this machine.
 *
 * PORT (default 0: any free port). Run by bench/performance.bench.js as a child process, which
 * learns the port over IPC; standalone it prints the address.
 */
'use strict';
const http = require('node:http');
const { announce } = require('./baseline-process');

const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end('{"accepted":[]}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => announce('bare-http', server.address().port, () => new Promise((r) => server.close(r))));
