/**
 * Recordings generated on the fly: an ID3 tag header, then bytes from an xorshift stream seeded
 * by the conversation id. Nothing is stored, so a 200 MB recording costs one chunk of memory
 * while it is served, and `audio(id)` can rebuild exactly the bytes that were sent.
 */
import { hashString } from "./random.ts";

/** An ID3v2.4 tag header with an empty tag, so the bytes start the way MP3 files do. */
const ID3_HEADER = Uint8Array.of(0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);

/** Chunk size of the stream: large enough to be cheap, small enough to respect backpressure. */
const AUDIO_CHUNK_BYTES = 64 * 1024;

/**
 * The recording of `id`, `size` bytes long, in chunks of at most `chunkBytes`. Each chunk is a
 * fresh buffer, so a consumer may keep it.
 *
 * @example
 * for (const chunk of audioChunks("conv_abc", 48_000)) socket.write(chunk);
 */
export function* audioChunks(id: string, size: number, chunkBytes = AUDIO_CHUNK_BYTES): Generator<Uint8Array> {
  const header = ID3_HEADER.subarray(0, Math.min(size, ID3_HEADER.length));
  if (header.length > 0) yield header.slice();
  let state = hashString(id) || 0x2545f491;
  // Whole 32-bit words per chunk keep the stream independent of chunk boundaries.
  const step = Math.max(4, chunkBytes - (chunkBytes % 4));
  for (let sent = header.length; sent < size; sent += step) {
    const length = Math.min(step, size - sent);
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state;
    }
    yield new Uint8Array(words.buffer, 0, length);
  }
}

/**
 * The whole recording in one array (what the audio endpoint streams).
 *
 * @example
 * const bytes = audioBytes("conv_abc", 48_000); // bytes[0..2] spell "ID3"
 */
export function audioBytes(id: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of audioChunks(id, size)) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
