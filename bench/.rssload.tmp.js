const K = require('/work/main/bench/perf-kit.js');
const autocannon = require('/work/main/node_modules/autocannon');
const port = process.argv[2] || 3999, seconds = +(process.argv[3] || 10);
let n = 0; const tag = Math.random().toString(36).slice(2, 8);
const inst = autocannon({ url: `http://127.0.0.1:${port}/webhooks/whatsapp`, connections: 50, duration: seconds, method: 'POST',
  requests: [{ setupRequest: (req) => { const body = K.metaDelivery(`wamid.b-${tag}-${n++}`); return { ...req, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': K.metaSignature('s', body) } }; } }] }, (err, res) => { console.log('req/s', Math.round(res.requests.total / res.duration), 'non2xx', res.non2xx); });
