// An auditor's check of a MASH decision-log export, written without any of the log's own code.
//
// Why it exists: the log's hashes must be reproducible by someone who trusts nothing of ours
// and works in another language. This script follows docs/audit-format.md step by step, with
// Node's own crypto and the `canonicalize` package from npm (RFC 8785), and the pytest tests
// in tests/integration/audit/test_audit_crosslang.py check that it reaches the same Merkle root
// as `mash audit verify`.
//
//   node verify_log.mjs EXPORT.jsonl [--checkpoint FILE]... [--proof FILE]...
//
// EXPORT.jsonl is `mash audit export --format jsonl` of the WHOLE log (a filtered export has
// gaps, which break the chain). A checkpoint is a `mash audit checkpoint` file; a proof is
// `mash audit prove` output. Prints one JSON object (entries per format, chain head, Merkle
// root, what was checked) and exits 0, or names the first thing that does not hold and exits 1.

import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

import canonicalize from 'canonicalize';

const GENESIS = Buffer.alloc(32);
const CHECKPOINT_LABELS = {
  'mash-decision-log-checkpoint/1': ['mash decision log checkpoint v1\n', 1],
  'mash-decision-log-checkpoint/2': ['mash decision log checkpoint v2\n', 2],
};

class Failure extends Error {}

function fail (message) {
  throw new Failure(message);
}

const sha256 = (...parts) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

// --- JSON that keeps each number's text ------------------------------------------------------
// Format 1 hashed Python's spelling of numbers (1.0, 1e-05, integers of any size), which a
// JavaScript number cannot hold: JSON.parse('1.0') is 1. So numbers are kept as their text.

class Num {
  constructor (text) { this.text = text; }
}

function parseJson (text) {
  let at = 0;
  const space = () => { while (' \t\n\r'.includes(text[at]) && at < text.length) at++; };
  const expect = (char) => {
    if (text[at] !== char) fail(`JSON: expected ${char} at ${at}`);
    at++;
  };
  const value = () => {
    space();
    const char = text[at];
    if (char === '{') return object();
    if (char === '[') return array();
    if (char === '"') return string();
    for (const [word, result] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, at)) { at += word.length; return result; }
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (!number) fail(`JSON: unexpected ${JSON.stringify(char)} at ${at}`);
    at += number[0].length;
    return new Num(number[0]);
  };
  const string = () => {
    const start = at++;
    while (text[at] !== '"') {
      if (at >= text.length) fail('JSON: unterminated string');
      at += text[at] === '\\' ? 2 : 1;
    }
    at++;
    return JSON.parse(text.slice(start, at));
  };
  const array = () => {
    const items = [];
    expect('[');
    space();
    if (text[at] === ']') { at++; return items; }
    for (;;) {
      items.push(value());
      space();
      if (text[at] === ']') { at++; return items; }
      expect(',');
    }
  };
  const object = () => {
    const members = Object.create(null); // no prototype: a key "__proto__" is just a key
    expect('{');
    space();
    if (text[at] === '}') { at++; return members; }
    for (;;) {
      space();
      const key = string();
      space();
      expect(':');
      members[key] = value();
      space();
      if (text[at] === '}') { at++; return members; }
      expect(',');
    }
  };
  const result = value();
  space();
  if (at !== text.length) fail(`JSON: trailing text at ${at}`);
  return result;
}

// Plain JavaScript values for canonicalize: numbers become doubles, as JSON means them.
function plain (value) {
  if (value instanceof Num) return Number(value.text);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out = Object.create(null);
    for (const key of Object.keys(value)) out[key] = plain(value[key]);
    return out;
  }
  return value;
}

// --- the two canonical forms (docs/audit-format.md, "Canonical JSON") ------------------------

// Format 2: RFC 8785, by the npm package.
const jcs = (value) => Buffer.from(canonicalize(plain(value)), 'utf8');

// Format 1: Python's json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False):
// numbers as Python wrote them, strings escaped as JSON.stringify escapes them (the same set:
// '"', '\\' and U+0000-U+001F, with \b \t \n \f \r short), keys sorted by code point.
function byCodePoint (a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function python (value) {
  if (value instanceof Num) return value.text;
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return String(value); // only our own small integers
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(python).join(',')}]`;
  const keys = Object.keys(value).sort(byCodePoint);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${python(value[k])}`).join(',')}}`;
}

const legacy = (value) => Buffer.from(python(value), 'utf8');

// --- entries, chain, Merkle tree -------------------------------------------------------------

function leafOf (entry) {
  const format = entry.format === undefined ? 1 : Number(entry.format.text);
  const seq = Number(entry.seq.text);
  if (format === 1) {
    return [format, legacy({ created_at: entry.created_at, decision: entry.decision, seq })];
  }
  if (format === 2) {
    const digest = sha256(jcs(entry.decision)).toString('hex');
    const leaf = { created_at: entry.created_at, decision_sha256: digest, format: 2, seq };
    return [format, Buffer.from(canonicalize(leaf), 'utf8')];
  }
  return fail(`entry ${seq}: format ${format} is not one this script knows`);
}

const leafHash = (leaf) => sha256(Buffer.from([0]), leaf);
const nodeHash = (left, right) => sha256(Buffer.from([1]), left, right);

function splitPoint (n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// RFC 6962 section 2.1: MTH of a list of leaf hashes.
function merkleRoot (hashes) {
  if (hashes.length === 0) return sha256(Buffer.alloc(0));
  if (hashes.length === 1) return hashes[0];
  const k = splitPoint(hashes.length);
  return nodeHash(merkleRoot(hashes.slice(0, k)), merkleRoot(hashes.slice(k)));
}

function readExport (path) {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim());
  const scan = { entries: 0, formats: {}, leafHashes: [], entryHashes: [], head: GENESIS };
  for (const [index, line] of lines.entries()) {
    const entry = parseJson(line);
    const seq = Number(entry.seq.text);
    if (seq !== index + 1) fail(`line ${index + 1}: entry ${seq} where ${index + 1} was expected`);
    const [format, leaf] = leafOf(entry);
    if (entry.prev_hash !== scan.head.toString('hex')) fail(`entry ${seq}: does not chain`);
    const hash = sha256(scan.head, leaf);
    if (entry.entry_hash !== hash.toString('hex')) {
      fail(`entry ${seq} (format ${format}): recomputed hash ${hash.toString('hex')} differs`);
    }
    scan.head = hash;
    scan.entries += 1;
    scan.formats[format] = (scan.formats[format] || 0) + 1;
    scan.leafHashes.push(leafHash(leaf));
    scan.entryHashes.push(hash);
  }
  return scan;
}

// --- checkpoints and inclusion proofs --------------------------------------------------------

function checkCheckpoint (path, scan) {
  const checkpoint = parseJson(readFileSync(path, 'utf8'));
  const known = CHECKPOINT_LABELS[checkpoint.format];
  if (!known) fail(`${path}: not a checkpoint format this script knows`);
  const [label, format] = known;
  const { signature, ...signed } = checkpoint;
  const body = format === 2 ? jcs(signed) : legacy(signed);
  const raw = Buffer.from(checkpoint.public_key, 'base64');
  if (sha256(raw).toString('hex').slice(0, 16) !== checkpoint.key_id) {
    fail(`${path}: key id does not match the public key`);
  }
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  const message = Buffer.concat([Buffer.from(label, 'utf8'), body]);
  if (!verify(null, message, key, Buffer.from(signature, 'base64'))) {
    fail(`${path}: the signature does not hold`);
  }
  const size = Number(checkpoint.tree_size.text);
  if (size > scan.entries) fail(`${path}: signed ${size} entries, the export has ${scan.entries}`);
  if (merkleRoot(scan.leafHashes.slice(0, size)).toString('hex') !== checkpoint.root_hash) {
    fail(`${path}: the first ${size} entries no longer have the signed root`);
  }
  const head = size ? scan.entryHashes[size - 1] : GENESIS;
  if (head.toString('hex') !== checkpoint.head_hash) fail(`${path}: chain head differs`);
  return { file: path, format: checkpoint.format, tree_size: size, key_id: checkpoint.key_id };
}

// RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
function rootFromInclusion (index, size, leaf, path) {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

function checkProof (path, scan) {
  const proof = parseJson(readFileSync(path, 'utf8'));
  const index = Number(proof.leaf_index.text);
  const size = Number(proof.tree_size.text);
  if (size > scan.entries || index >= size) fail(`${path}: outside the exported log`);
  const leaf = scan.leafHashes[index];
  if (leaf.toString('hex') !== proof.leaf_hash) fail(`${path}: leaf hash differs`);
  const siblings = proof.proof.map((h) => Buffer.from(h, 'hex'));
  const root = rootFromInclusion(index, size, leaf, siblings);
  const expected = merkleRoot(scan.leafHashes.slice(0, size)).toString('hex');
  if (!root || root.toString('hex') !== proof.root_hash || proof.root_hash !== expected) {
    fail(`${path}: the proof does not lead to the root of the first ${size} entries`);
  }
  return { file: path, decision_id: proof.decision_id, leaf_index: index, tree_size: size };
}

function main (args) {
  const [exported, ...rest] = args;
  if (!exported) fail('usage: node verify_log.mjs EXPORT.jsonl [--checkpoint F]... [--proof F]...');
  const scan = readExport(exported);
  const report = {
    entries: scan.entries,
    formats: scan.formats,
    head_hash: scan.head.toString('hex'),
    root_hash: merkleRoot(scan.leafHashes).toString('hex'),
    checkpoints: [],
    proofs: [],
  };
  for (let i = 0; i < rest.length; i += 2) {
    const [option, file] = [rest[i], rest[i + 1]];
    if (option === '--checkpoint' && file) report.checkpoints.push(checkCheckpoint(file, scan));
    else if (option === '--proof' && file) report.proofs.push(checkProof(file, scan));
    else fail(`unknown option ${option}`);
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof Failure)) throw error;
  process.stderr.write(`FAILED: ${error.message}\n`);
  process.exit(1);
}
