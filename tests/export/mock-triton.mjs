#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
// A stand-in for NVIDIA Triton Inference Server in the tests (no Triton
// here): serves one model folder of a repository written by
// `dinomaly export --triton` with ONNX Runtime, over the part of the
// KServe v2 HTTP protocol docs/triton-client.py uses:
//
//   GET  /v2/models/NAME/config  the model configuration as JSON (name,
//                                max_batch_size, parameters) from
//                                config.pbtxt
//   POST /v2/models/NAME/infer   a request with Triton's binary tensor
//                                extension (Inference-Header-Content-
//                                Length) or plain JSON data; outputs
//                                binary when asked, else JSON
//
// Usage: node mock-triton.mjs ONNXRUNTIME_DIR REPOSITORY NAME
// Listens on 127.0.0.1 on a free port and prints "port N" once ready;
// stops on SIGTERM. Refuses what Triton refuses: unknown models, batches
// over max_batch_size, wrong shapes or sizes.
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [ortDir, repository, name] = process.argv.slice(2);
const ort = createRequire(join(ortDir, 'package.json'))('onnxruntime-node');

// config.pbtxt: the scalar fields and the string parameters we wrote.
function unquote(s) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      bytes.push(...Buffer.from(s[i], 'utf8'));
    } else if (/[0-7]/.test(s[i + 1])) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      const c = s[++i];
      bytes.push((c === 'n' ? '\n' : c === 't' ? '\t' : c).charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const folder = join(repository, name);
const text = readFileSync(join(folder, 'config.pbtxt'), 'utf8');
const STRING = '"((?:[^"\\\\]|\\\\.)*)"';
const config = {
  name: unquote(text.match(new RegExp(`^name: ${STRING}`, 'm'))[1]),
  backend: unquote(text.match(new RegExp(`^backend: ${STRING}`, 'm'))[1]),
  max_batch_size: parseInt(text.match(/^max_batch_size: (\d+)/m)[1], 10),
  parameters: {},
};
const pairs = new RegExp(`key: ${STRING}\\s*value: \\{ string_value: ${STRING} \\}`, 'g');
for (const m of text.matchAll(pairs)) config.parameters[unquote(m[1])] = { string_value: unquote(m[2]) };
const version = readdirSync(folder).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a)[0];
// threads that sleep while they wait: the test's other programs need the cores
const session = await ort.InferenceSession.create(join(folder, version, 'model.onnx'), {
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const crop = session.inputMetadata[0].shape[2];

function reply(res, status, body, headers = {}) {
  res.writeHead(status, headers);
  res.end(body);
}

function error(res, status, message) {
  reply(res, status, JSON.stringify({ error: message }), { 'Content-Type': 'application/json' });
}

async function infer(body, headers, res) {
  const jsonLength = parseInt(headers['inference-header-content-length'] ?? body.length, 10);
  const request = JSON.parse(body.subarray(0, jsonLength).toString('utf8'));
  const input = request.inputs?.[0];
  if (request.inputs?.length !== 1 || input.name !== 'image' || input.datatype !== 'FP32')
    return error(res, 400, 'expected one FP32 input "image"');
  const shape = input.shape;
  const n = shape[0];
  if (shape.length !== 4 || shape[1] !== 3 || shape[2] !== crop || shape[3] !== crop)
    return error(res, 400, `image has shape [${shape}], expected [-1,3,${crop},${crop}]`);
  if (n < 1 || n > config.max_batch_size)
    return error(res, 400, `batch of ${n}, the model takes 1 to ${config.max_batch_size}`);
  const count = n * 3 * crop * crop;
  let data;
  const size = input.parameters?.binary_data_size;
  if (size !== undefined) {
    if (size !== count * 4 || jsonLength + size !== body.length)
      return error(res, 400, `binary_data_size ${size} does not fit the shape or the body`);
    data = new Float32Array(count);
    Buffer.from(data.buffer).set(body.subarray(jsonLength, jsonLength + size));
  } else {
    data = Float32Array.from(input.data);
  }
  const out = await session.run({ image: new ort.Tensor('float32', data, shape) });
  const wanted = request.outputs ?? [{ name: 'anomaly_map' }, { name: 'score' }];
  const outputs = [];
  const blobs = [];
  for (const w of wanted) {
    const t = out[w.name];
    if (t === undefined) return error(res, 400, `no output "${w.name}"`);
    // the config's reshape: score is [N], declared dims [1] reshaped to []
    const o = { name: w.name, datatype: 'FP32', shape: t.dims };
    if (w.parameters?.binary_data) {
      const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      o.parameters = { binary_data_size: bytes.length };
      blobs.push(bytes);
    } else {
      o.data = Array.from(t.data);
    }
    outputs.push(o);
  }
  const head = Buffer.from(JSON.stringify({ model_name: name, model_version: version, outputs }));
  reply(res, 200, Buffer.concat([head, ...blobs]), {
    'Content-Type': blobs.length ? 'application/octet-stream' : 'application/json',
    'Inference-Header-Content-Length': String(head.length),
  });
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.method === 'GET' && req.url === `/v2/models/${name}/config`)
      return reply(res, 200, JSON.stringify(config), { 'Content-Type': 'application/json' });
    if (req.method === 'POST' && req.url === `/v2/models/${name}/infer`)
      return infer(body, req.headers, res).catch((e) => error(res, 500, e.message));
    error(res, 404, `no ${req.method} ${req.url} here`);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
