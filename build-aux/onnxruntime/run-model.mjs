#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a model written by `dinomaly export --onnx` in ONNX Runtime (CPU,
// the onnxruntime-node package installed beside this script by
// build-aux/install-deps.sh). Three modes:
//
//   node run-model.mjs MODEL.onnx --input IN.safetensors [--tensor x]
//        [--batch N] --output OUT.safetensors
//     runs the images of a float32 (N, 3, crop, crop) tensor of a
//     safetensors file (the preprocessed images, e.g. tests/data/forward's
//     `x`), N at a time, and writes `anomaly_map` (N, 256, 256) and `score`
//     (N) as float32 safetensors.
//
//   node run-model.mjs MODEL.onnx --bench [--batch 8] [--runs 5]
//     images per second on random input: the best of R timed runs after
//     a warm-up, as `dinomaly bench infer` counts.
//
//   node run-model.mjs MODEL.onnx --info
//     the inputs and outputs the session sees.
//
// --threads N sets ONNX Runtime's intra-op threads (default: its own
// choice, one per core); --no-spin makes them sleep while they wait
// instead of spinning (ONNX Runtime's default, best on an idle machine):
// kinder to the other programs of a shared one.
// Errors go to stderr with exit status 1.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

function fail(message) {
  process.stderr.write(`run-model: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { tensor: 'x', batch: 0, runs: 5, threads: 0 };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--input') opts.input = value();
    else if (a === '--output') opts.output = value();
    else if (a === '--tensor') opts.tensor = value();
    else if (a === '--batch') opts.batch = parseInt(value(), 10);
    else if (a === '--runs') opts.runs = Math.max(1, parseInt(value(), 10));
    else if (a === '--threads') opts.threads = parseInt(value(), 10);
    else if (a === '--bench') opts.bench = true;
    else if (a === '--no-spin') opts.noSpin = true;
    else if (a === '--info') opts.info = true;
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length !== 1) fail('give one MODEL.onnx');
  opts.model = rest[0];
  return opts;
}

// safetensors: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}}, then the data.
function readSafetensors(path, name) {
  const buf = readFileSync(path);
  if (buf.length < 8) fail(`${path}: not a safetensors file`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) fail(`${path}: truncated header`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const t = header[name];
  if (t === undefined) fail(`${path}: no tensor "${name}"`);
  if (t.dtype !== 'F32') fail(`${path}: "${name}" is ${t.dtype}, float32 (F32) expected`);
  const [begin, end] = t.data_offsets;
  const bytes = buf.subarray(8 + n + begin, 8 + n + end);
  // copied: the data need not be 4-byte aligned in the file
  const data = new Float32Array(bytes.length / 4);
  Buffer.from(data.buffer).set(bytes);
  return { shape: t.shape, data };
}

function writeSafetensors(path, tensors) {
  const header = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(text.length));
  const parts = [head, Buffer.from(text, 'utf8')];
  for (const t of Object.values(tensors))
    parts.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.length * 4));
  // beside the destination, then renamed: never a half-written file
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
}

async function openSession(opts) {
  const options = { graphOptimizationLevel: 'all' };
  // on a shared machine a spinning pool steals the cores others need
  if (opts.noSpin) options.extra = { session: { intra_op: { allow_spinning: '0' } } };
  if (opts.threads > 0) options.intraOpNumThreads = opts.threads;
  try {
    return await ort.InferenceSession.create(opts.model, options);
  } catch (e) {
    fail(`${opts.model}: ONNX Runtime cannot load it: ${e.message}`);
  }
}

async function run(session, images, shape) {
  const out = await session.run({ image: new ort.Tensor('float32', images, shape) });
  return { map: out.anomaly_map.data, score: out.score.data };
}

async function runFile(session, opts) {
  const x = readSafetensors(opts.input, opts.tensor);
  if (x.shape.length !== 4 || x.shape[1] !== 3)
    fail(`${opts.input}: "${opts.tensor}" is [${x.shape}], (N, 3, crop, crop) expected`);
  const [N, , H, W] = x.shape;
  const per = 3 * H * W, side = 256;
  const batch = opts.batch > 0 ? opts.batch : N;
  const maps = new Float32Array(N * side * side);
  const scores = new Float32Array(N);
  for (let i = 0; i < N; i += batch) {
    const n = Math.min(batch, N - i);
    const r = await run(session, x.data.subarray(i * per, (i + n) * per), [n, 3, H, W]);
    maps.set(r.map, i * side * side);
    scores.set(r.score, i);
  }
  writeSafetensors(opts.output, {
    anomaly_map: { shape: [N, side, side], data: maps },
    score: { shape: [N], data: scores },
  });
}

// Seeded normal-ish input (sum of uniforms), so runs are comparable.
function randomImages(n) {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() + next() + next() - 1.5) * 2;
  return a;
}

// As `dinomaly bench infer` measures: the best of several timed runs of
// one batch after a warm-up (the best is the least disturbed by the
// machine's other work).
async function bench(session, opts) {
  const shape = session.inputMetadata?.[0]?.shape;
  const crop = Array.isArray(shape) && typeof shape[2] === 'number' ? shape[2] : 0;
  if (crop <= 0) fail(`${opts.model}: cannot read the input's crop size`);
  const batch = opts.batch > 0 ? opts.batch : 1;
  const images = randomImages(batch * 3 * crop * crop);
  const dims = [batch, 3, crop, crop];
  await run(session, images, dims); // warm-up: allocations, kernels chosen
  const times = [];
  for (let r = 0; r < opts.runs; r++) {
    const start = process.hrtime.bigint();
    await run(session, images, dims);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  const best = times[0], median = times[Math.floor(times.length / 2)];
  console.log(
    `onnxruntime ${ort.env.versions?.node ?? ''} cpu: crop ${crop}, batch ${batch}: ` +
      `${(batch / best).toFixed(3)} images/s (best of ${opts.runs} runs: ` +
      `${(best * 1000).toFixed(1)} ms a batch; median ${(batch / median).toFixed(3)} images/s)`,
  );
}

const opts = parseArgs(process.argv.slice(2));
const session = await openSession(opts);
if (opts.info) {
  console.log(JSON.stringify({ inputs: session.inputMetadata ?? session.inputNames,
                               outputs: session.outputMetadata ?? session.outputNames }));
} else if (opts.bench) {
  await bench(session, opts);
} else {
  if (!opts.input || !opts.output) fail('give --input IN.safetensors and --output OUT.safetensors');
  await runFile(session, opts);
}
