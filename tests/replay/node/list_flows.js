// Queries a flowtopd with a client nobody on this project wrote (@grpc/grpc-js
// and grpc-js-reflection-client, reflection only, no .proto file) and prints
// what it serves: the GetStatus source on the first line, then every flow of
// ListFlows sorted by id, one JSON object per line (keys sorted), so two
// daemons can be compared with diff.
//
// Usage: node list_flows.js MODULES_DIR HOST:PORT [WAIT_SEQ]
// MODULES_DIR is the node_modules of tests/service/node (npm ci there).
// With WAIT_SEQ it first waits until the daemon has applied that event
// (GetStatus.last_seq), woken by its event stream rather than a timer.
'use strict';

const path = require('path');
const modules = process.argv[2];
const host = process.argv[3];
const waitSeq = process.argv[4] ? BigInt(process.argv[4]) : 0n;
if (!modules || !host) {
  console.error('usage: node list_flows.js MODULES_DIR HOST:PORT');
  process.exit(2);
}
const grpc = require(path.join(modules, '@grpc/grpc-js'));
const { GrpcReflection } = require(path.join(modules, 'grpc-js-reflection-client'));

function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]);
    return out;
  }
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return value;
}

async function main() {
  const credentials = grpc.ChannelCredentials.createInsecure();
  const reflection = new GrpcReflection(host, credentials);
  const descriptor = await reflection.getDescriptorBySymbol('flowtop.v1.FlowTop');
  const pkg = descriptor.getPackageObject({
    keepCase: true, enums: String, longs: String, defaults: false, oneofs: true,
  });
  const client = new pkg.flowtop.v1.FlowTop(host, credentials);
  if (waitSeq > 0n) {
    // Follow the stream; every response (or a 1 s quiet spell) re-checks the
    // status, so a replay that already ended needs no events to arrive.
    const call = client.GetFlows({ follow: true });
    call.on('error', () => {});
    let wake = null;
    call.on('data', () => { if (wake) wake(); });
    const deadline = Date.now() + 60000;
    while (BigInt((await unary(client, 'GetStatus', {})).status.last_seq || 0) < waitSeq) {
      if (Date.now() > deadline) throw new Error(`last_seq never reached ${waitSeq}`);
      await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 1000); });
    }
    call.cancel();
  }
  const status = (await unary(client, 'GetStatus', {})).status;
  console.log(`source ${status.source}`);
  const listed = await unary(client, 'ListFlows', {});
  const flows = listed.flows.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  console.log(`flows ${flows.length} total ${listed.total}`);
  for (const flow of flows) console.log(JSON.stringify(canonical(flow)));
}

main().then(() => process.exit(0), (err) => {
  console.error(`list_flows: ${err.message || err}`);
  process.exit(1);
});
