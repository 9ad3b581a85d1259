/** Call recordings as streams: nothing is buffered, nothing is retried once bytes flow. */
import type { Context, RequestOptions } from "../http/call.ts";
import { requireId } from "../http/input.ts";

export interface ConversationAudio {
  /** The recording's bytes, unread. Read it to the end or cancel it to free the connection. */
  body: ReadableStream<Uint8Array>;
  /** `audio/mpeg` for the API's recordings. */
  contentType: string;
  /** Length in bytes from `Content-Length`, when the API sends it. */
  contentLength: number | undefined;
}

/**
 * Requests a conversation's recording. Resolves once the headers are in, with the body unread;
 * a non-2xx status throws before any body is handed over.
 *
 * @example
 * const { body, contentLength } = await convai.conversations.audio(id);
 * await body.pipeTo(Writable.toWeb(createWriteStream("call.mp3")));
 */
export async function getAudio(
  ctx: Context,
  conversationId: string,
  options?: RequestOptions,
): Promise<ConversationAudio> {
  const where = "conversations.audio";
  const conversation_id = requireId(where, "conversationId", conversationId);
  const result = await ctx.api.GET("/v1/convai/conversations/{conversation_id}/audio", {
    params: { path: { conversation_id } },
    parseAs: "stream",
    ...ctx.init(where, options),
  });
  const body = ctx.unwrap("GET", result) as ReadableStream<Uint8Array> | null | undefined;
  const { response } = result;
  const length = Number(response.headers.get("content-length") ?? NaN);
  return {
    body: body ?? new ReadableStream({ start: (c) => c.close() }),
    contentType: response.headers.get("content-type") ?? "application/octet-stream",
    contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
  };
}
