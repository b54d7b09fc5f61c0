// A real gRPC client that nobody on this project wrote (@grpc/grpc-js with
// grpc-js-reflection-client) talks to flowtopd using server reflection only:
// no .proto file. It lists the services, asks the health service, reads
// GetStatus, lists flows with a filter and streams flows (snapshot + follow) until it has seen a NEW, an
// UPDATE and a DESTROY.
//
// Addresses must arrive as text too (Tuple.src_addr/dst_addr): a JSON reader
// would otherwise only see base64 bytes.
//
// Usage: node flowtopd_client_test.js HOST:PORT [v1alpha|v1]
// The second argument picks the reflection protocol the client speaks (only
// that one: grpc-js-reflection-client does not fall back).
// Exits 0 when every check passed; prints one line per check.
'use strict';

const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

const host = process.argv[2];
const reflectionVersion = process.argv[3] || 'v1alpha';
if (!host) {
  console.error('usage: node flowtopd_client_test.js HOST:PORT [v1alpha|v1]');
  process.exit(2);
}

let failures = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'}: ${what}${ok ? '' : ' (' + detail + ')'}`);
  if (!ok) failures++;
}

function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

async function main() {
  const credentials = grpc.ChannelCredentials.createInsecure();
  const reflection = new GrpcReflection(host, credentials, {}, reflectionVersion);
  console.log(`reflection ${reflectionVersion}`);

  const services = await reflection.listServices();
  check('reflection lists flowtop.v1.FlowTop', services.includes('flowtop.v1.FlowTop'),
        JSON.stringify(services));
  check('reflection lists grpc.health.v1.Health', services.includes('grpc.health.v1.Health'),
        JSON.stringify(services));

  // The standard health service, described by reflection too.
  const healthPkg = (await reflection.getDescriptorBySymbol('grpc.health.v1.Health'))
    .getPackageObject({ keepCase: true, enums: String });
  const health = new healthPkg.grpc.health.v1.Health(host, credentials);
  const overall = await unary(health, 'Check', { service: '' });
  check('health Check("") is SERVING', overall.status === 'SERVING', JSON.stringify(overall));
  const flowtop = await unary(health, 'Check', { service: 'flowtop.v1.FlowTop' });
  check('health Check("flowtop.v1.FlowTop") is SERVING', flowtop.status === 'SERVING',
        JSON.stringify(flowtop));
  health.close();

  const descriptor = await reflection.getDescriptorBySymbol('flowtop.v1.FlowTop');
  const pkg = descriptor.getPackageObject({
    keepCase: true, enums: String, longs: String, defaults: false, oneofs: true,
  });
  const FlowTop = pkg.flowtop.v1.FlowTop;
  check('descriptor has GetFlows, ListFlows, GetStatus',
        FlowTop && ['GetFlows', 'ListFlows', 'GetStatus'].every((m) => m in FlowTop.service),
        FlowTop ? Object.keys(FlowTop.service).join(',') : 'no FlowTop');
  const client = new FlowTop(host, credentials);

  const status = (await unary(client, 'GetStatus', {})).status;
  check('GetStatus has a node name', typeof status.node === 'string' && status.node.length > 0,
        JSON.stringify(status));
  check('GetStatus has a version', typeof status.version === 'string' && status.version.length > 0,
        status.version);
  check('GetStatus reports the ring capacity', Number(status.ring_capacity) > 0,
        status.ring_capacity);

  const listed = await unary(client, 'ListFlows', {
    allow: [{ protocol: ['TCP'] }], sort: 'SORT_DST_PORT', descending: true,
  });
  const protocols = new Set(listed.flows.map((f) => f.protocol));
  check('ListFlows with a TCP filter returns only TCP flows',
        listed.flows.length > 0 && protocols.size === 1 && protocols.has('TCP'),
        JSON.stringify([...protocols]));

  const v4 = /^\d{1,3}(\.\d{1,3}){3}$/;
  const text = (t) => t && v4.test(t.src_addr) && v4.test(t.dst_addr);
  check('ListFlows addresses are text (src_addr, dst_addr)',
        listed.flows.length > 0 && listed.flows.every((f) => text(f.original) && text(f.reply)),
        JSON.stringify(listed.flows.slice(0, 1).map((f) => f.original)));
  check('no empty process objects',
        listed.flows.every((f) => !f.enrichment ||
          ['src', 'dst'].every((end) => !f.enrichment[end] || !f.enrichment[end].process ||
            Object.keys(f.enrichment[end].process).length > 0)),
        JSON.stringify(listed.flows.map((f) => f.enrichment)));

  const bad = await unary(client, 'ListFlows', { allow: [{ src_ip: ['10.0.0.300/8'] }] })
    .then(() => null, (err) => err);
  check('a bad CIDR is INVALID_ARGUMENT naming the field',
        bad && bad.code === grpc.status.INVALID_ARGUMENT &&
          bad.details.startsWith('allow[0].src_ip[0]:'),
        bad ? `${bad.code} ${bad.details}` : 'no error');

  // Stream: snapshot first, then live events until NEW, UPDATE and DESTROY.
  const seen = new Set();
  let textInStream = 0;
  let flowsInStream = 0;
  await new Promise((resolve) => {
    const call = client.GetFlows({ snapshot: true, follow: true });
    const timer = setTimeout(() => { call.cancel(); resolve(); }, 30000);
    call.on('data', (response) => {
      for (const event of response.events) {
        seen.add(event.type);
        if (['SNAPSHOT', 'NEW', 'DESTROY'].includes(event.type) && event.flow) {
          flowsInStream++;
          if (text(event.flow.original)) textInStream++;
        }
      }
      if (['SNAPSHOT_END', 'NEW', 'UPDATE', 'DESTROY'].every((t) => seen.has(t))) {
        clearTimeout(timer);
        call.cancel();
        resolve();
      }
    });
    call.on('error', (err) => {
      if (err.code !== grpc.status.CANCELLED) console.log(`stream error: ${err.message}`);
      clearTimeout(timer);
      resolve();
    });
  });
  check('streamed flows carry text addresses',
        flowsInStream > 0 && textInStream === flowsInStream, `${textInStream}/${flowsInStream}`);
  for (const type of ['STATUS', 'SNAPSHOT', 'SNAPSHOT_END', 'NEW', 'UPDATE', 'DESTROY']) {
    check(`GetFlows streamed a ${type} event`, seen.has(type), JSON.stringify([...seen]));
  }
  client.close();
}

main().then(
  () => {
    console.log(`${failures} failure(s)`);
    process.exit(failures === 0 ? 0 : 1);
  },
  (err) => {
    console.log(`FAIL: ${err.stack || err}`);
    process.exit(1);
  });
