/**
 * Writing replies to the socket: JSON with its headers, recordings streamed chunk by chunk with
 * backpressure, and bodies cut short on purpose for the truncate fault.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Reply } from "../state/operations.ts";
import { audioChunks } from "../data/audio.ts";

/**
 * Sent with every answer, so that a browser app under test may call the emulator from any origin
 * (it listens on loopback only) and read the headers a client uses.
 */
export const CORS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "request-id, retry-after, content-length, content-type",
} as const;

/** A request body longer than the emulator takes: the server answers 413. */
export class BodyTooLarge extends Error {}

/**
 * The request body as text, refused with {@link BodyTooLarge} as soon as more than `limit` bytes
 * arrived: bytes are counted as they stream in, never buffered whole first.
 *
 * @example
 * const text = await readBody(req, 1_048_576);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", data);
      req.off("end", end);
      req.off("error", reject);
      req.off("close", closed);
    };
    const data = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Paused, not destroyed: the connection stays up for the 413, then closes.
      stop();
      req.pause();
      reject(new BodyTooLarge(`request body over ${limit} bytes`));
    };
    const end = () => (stop(), resolve(Buffer.concat(chunks).toString("utf8")));
    const closed = () => (stop(), reject(new Error("the client went away before its body arrived")));
    req.on("data", data);
    req.on("end", end);
    req.on("error", reject);
    req.on("close", closed);
  });
}

/**
 * Writes a reply. With `cutAt`, sends the headers with the full Content-Length but only the
 * first `cutAt(size)` bytes of the body, then destroys the socket: a body cut short in transit.
 *
 * @example
 * await write(res, json(200, { ok: true }), "req_000001", undefined);
 */
export async function write(
  res: ServerResponse,
  reply: Reply,
  requestId: string,
  cutAt: ((size: number) => number) | undefined,
): Promise<void> {
  if (res.destroyed) return;
  if ("json" in reply) {
    const body = Buffer.from(reply.json);
    res.writeHead(reply.status, {
      ...CORS,
      ...reply.headers,
      "content-type": "application/json",
      "content-length": body.length,
      "request-id": requestId,
    });
    if (cutAt) return cut(res, body.subarray(0, cutAt(body.length)));
    res.end(body);
    return;
  }
  const { id, size } = reply.audio;
  res.writeHead(200, { ...CORS, "content-type": "audio/mpeg", "content-length": size, "request-id": requestId });
  const limit = cutAt?.(size) ?? size;
  let sent = 0;
  for (const chunk of audioChunks(id, limit)) {
    if (res.destroyed) return;
    sent += chunk.length;
    if (!res.write(chunk)) await drained(res);
  }
  if (res.destroyed) return;
  if (cutAt && sent < size) return cut(res, new Uint8Array(0));
  res.end();
}

/** Sends what is given, then drops the connection once it has left. */
function cut(res: ServerResponse, part: Uint8Array): void {
  // An empty write still flushes the headers before the socket goes.
  res.write(part, () => res.destroy());
}

/** Waits until the client has taken the buffered bytes, or has gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
