/**
 * Canonical JSON: one text for equal values, whatever their key order, the machine or how V8 holds
 * a number internally (v8.serialize writes a small integer as an int32 or a double depending on how
 * it was computed, so hashes of it differ for equal arguments). Used for run ids and for the
 * fingerprints of stored results.
 */
import * as crypto from 'node:crypto';

/**
 * JSON with sorted object keys, typed arrays as `{"Float64Array": [...]}` (longer than 64 values:
 * `{"Float64Array": {"length": n, "sha256": <hash of the bytes>}}`, data sets are not options) and
 * non-finite numbers as `{"number": "NaN"}`, so equal arguments give equal text (and equal hashes)
 * on every machine.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value));
}

function canonicalValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { number: String(v) };
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? { bigint: String(v) } : v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { [v.constructor.name]: typedArrayValue(v) };
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : canonicalValue(x)));
  if (v instanceof Map) return { Map: [...v.entries()].map(([k, x]) => [canonicalValue(k), canonicalValue(x)]) };
  if (v instanceof Set) return { Set: [...v].map(canonicalValue) };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && typeof x !== 'function') out[k] = canonicalValue(x);
  }
  return out;
}

const TYPED_INLINE = 64;
const typedHashes = new WeakMap<ArrayBufferView, string>();

function typedArrayValue(v: ArrayBufferView): unknown {
  const values = v as unknown as ArrayLike<number>;
  if (values.length <= TYPED_INLINE) return Array.from(values, canonicalValue);
  let hash = typedHashes.get(v);
  if (hash === undefined) {
    hash = crypto.createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');
    typedHashes.set(v, hash);
  }
  return { length: values.length, sha256: hash };
}

