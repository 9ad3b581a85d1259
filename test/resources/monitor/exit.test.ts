/**
 * The process that must exit by itself: with the default WebSocket (\`ws\`, loaded on the first
 * connect), a monitor closed at once, or started with an aborted signal, never opens its socket
 * (issue 22, item 1). A child process, so it is in the slow project.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { liveSession } from "./session.ts";

describe("closing or aborting before the socket opened, with the default ws", () => {
  it("with the default ws, a process that closes its monitor at once (or starts it aborted) exits by itself", async () => {
    const { emulator, id: conversationId } = await liveSession({ conversations: 1 });
    try {
      const entry = JSON.stringify(path.resolve(import.meta.dirname, "../../../src/index.ts"));
      const child = `
        const { createConvaiClient, monitorConversation } = await import(${entry});
        const convai = createConvaiClient({ apiKey: ${JSON.stringify(emulator.apiKey)}, baseUrl: ${JSON.stringify(emulator.baseUrl)} });
        const closed = monitorConversation(convai, ${JSON.stringify(conversationId)});
        await closed.close();
        const aborted = monitorConversation(convai, ${JSON.stringify(conversationId)}, { signal: AbortSignal.abort() });
        await aborted.ready().catch(() => {});
        console.log("done");`;
      // Exits by itself on the fixed code in well under a second; killed after 15 s otherwise.
      const result = await new Promise<{ code: number | null; killed: boolean; stdout: string }>((resolve) => {
        const process_ = execFile(
          process.execPath,
          ["--import", "tsx", "--input-type=module", "-e", child],
          { timeout: 15_000 },
          (error, stdout) =>
            resolve({ code: error ? ((error.code as number) ?? null) : 0, killed: process_.killed, stdout }),
        );
      });
      expect(result).toEqual({ code: 0, killed: false, stdout: "done\n" });
      expect(emulator.monitorConnections(conversationId!)).toBe(0);
    } finally {
      await emulator.close();
    }
  });
});
