/**
 * What the helpers that take a client as their first argument (`monitorConversation(convai, …)`)
 * need of it: where it connects, its timeout and its headers, the key among them. Kept in a
 * WeakMap, out of reach of the client's users (nothing on the client object holds the key), and
 * registered by `createConvaiClient`, so such a helper lives in its own module and costs nothing
 * in a bundle that does not import it.
 */
import type { ClientConfig } from "../http/transport.ts";
import { describe } from "../core/input.ts";
import type { Conversations } from "./conversations.ts";

export type ClientContext = Pick<ClientConfig, "baseUrl" | "timeoutMs" | "headers" | "apiKey">;

/** A client made by `createConvaiClient` (its type, as far as the helpers name it). */
export interface ConvaiClientLike {
  readonly conversations: Conversations;
}

const contexts = new WeakMap<object, ClientContext>();

/** Called once by `createConvaiClient` for each client it makes. */
export function registerClient(client: object, context: ClientContext): void {
  contexts.set(client, context);
}

/** The context of a client made by `createConvaiClient`; a TypeError naming `where` for anything else. */
export function contextOf(where: string, client: unknown): ClientContext {
  const context = typeof client === "object" && client !== null ? contexts.get(client) : undefined;
  if (context === undefined) {
    throw new TypeError(
      `${where}: convai must be a client made by createConvaiClient (of this copy of elevenlabs-convai), got ${describe(client)}`,
    );
  }
  return context;
}
