/**
 * `npm start`: a walk through the API as a new user would take it. Without ELEVENLABS_API_KEY it
 * runs against the local emulator; with it, the read-only steps run against the real API.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type ConvaiClient,
  type Conversation,
  type ConversationSummary,
  createConvaiClient,
  matchMonitorEvent,
  matchSystemResult,
  matchToolCall,
  matchToolResult,
  matchWorkflowStep,
  monitorConversation,
  type ToolCall,
  type ToolResult,
  waitUntilDone,
} from "../src/index.ts";
import { saveConversationAudio } from "../src/node.ts";
import { type Emulator, startEmulator } from "../src/testing/index.ts";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const when = (secs: number) => new Date(secs * 1000).toISOString().slice(0, 16).replace("T", " ");
const duration = (secs: number) => `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, "0")}s`;
const clock = (secs: number) =>
  `${String(Math.floor(secs / 60)).padStart(2, "0")}:${String(secs % 60).padStart(2, "0")}`;

async function main(): Promise<void> {
  const live = Boolean(process.env.ELEVENLABS_API_KEY);
  let emulator: Emulator | undefined;
  let convai: ConvaiClient;
  if (live) {
    convai = createConvaiClient(); // key from ELEVENLABS_API_KEY
    console.log(`${bold("elevenlabs-convai")} against the real API (read-only steps)\n`);
  } else {
    emulator = await startEmulator({
      audioBytes: 1_500_000,
      // Calls last until the demo ends them with end_call; processing then takes half a second.
      lifecycle: { inProgressAfterMs: 0, processingAfterMs: 30_000, doneAfterMs: 30_500 },
      monitor: { intervalMs: 80 },
    });
    convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    console.log(`${bold("elevenlabs-convai")} against the local emulator at ${emulator.baseUrl}`);
    console.log(dim("(set ELEVENLABS_API_KEY to run the read-only steps against the real API)\n"));
  }
  try {
    const summaries = await listStep(convai);
    const chosen = await transcriptStep(convai, summaries);
    if (chosen) await recordingStep(convai, chosen);
    const agent = chosen?.agent_id ?? summaries[0]?.agent_id;
    if (agent) await sessionStep(convai, agent, live);
  } finally {
    await emulator?.close();
  }
}

async function listStep(convai: ConvaiClient): Promise<ConversationSummary[]> {
  console.log(bold("1. Conversations, newest first"));
  let pages = 0;
  const summaries: ConversationSummary[] = [];
  for await (const page of convai.conversations.list({ page_size: 25 }).pages()) {
    pages++;
    summaries.push(...page.conversations);
    if (summaries.length >= 100) break; // enough for a demo: the iterator stops fetching here
  }
  console.log(`   ${summaries.length} conversations in ${pages} page${pages === 1 ? "" : "s"} of up to 25`);
  for (const c of summaries.slice(0, 6)) {
    const rating = c.rating == null ? "  " : `★${Math.round(c.rating)}`;
    console.log(
      `   ${when(c.start_time_unix_secs)}  ${c.status.padEnd(11)} ${duration(c.call_duration_secs).padStart(6)}  ` +
        `${rating}  ${clip(c.call_summary_title ?? "(untitled)", 44)}`,
    );
  }
  const byStatus = new Map<string, number>();
  for (const c of summaries) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  console.log(dim(`   by status: ${[...byStatus].map(([s, n]) => `${s} ${n}`).join(" · ")}\n`));
  return summaries;
}

/** Opens the newest finished conversation that used tools and prints its transcript. */
async function transcriptStep(
  convai: ConvaiClient,
  summaries: ConversationSummary[],
): Promise<Conversation | undefined> {
  let conversation: Conversation | undefined;
  for (const summary of summaries.filter((s) => s.status === "done").slice(0, 10)) {
    const candidate = await convai.conversations.get(summary.conversation_id);
    if (candidate.transcript.some((t) => t.tool_results?.length)) {
      conversation = candidate;
      break;
    }
    conversation ??= candidate;
  }
  if (!conversation) {
    console.log("2. No finished conversation to open.\n");
    return undefined;
  }
  console.log(bold(`2. Transcript of ${conversation.conversation_id} (${conversation.transcript.length} turns)`));
  for (const turn of conversation.transcript) {
    const text = turn.message ?? turn.multivoice_message?.parts.map((p) => p.text).join(" ") ?? "";
    if (text) console.log(`   ${clock(turn.time_in_call_secs)} ${turn.role.padEnd(5)}  ${clip(text, 70)}`);
    for (const call of turn.tool_calls ?? []) console.log(`         ${dim("calls")}   ${describeCall(call)}`);
    for (const result of turn.tool_results ?? []) console.log(`         ${dim("result")}  ${describeResult(result)}`);
  }
  const analysis = conversation.analysis;
  if (analysis) console.log(dim(`   outcome: ${analysis.call_successful} · ${clip(analysis.transcript_summary, 80)}`));
  console.log();
  return conversation;
}

function describeCall(call: ToolCall): string {
  const details = call.tool_details;
  if (!details) return call.tool_name;
  return `${call.tool_name} ${dim(
    matchToolCall(details, {
      webhook: (d) => `(webhook ${d.method} ${d.url})`,
      client: () => "(runs in the browser)",
      mcp: (d) => `(MCP ${d.mcp_server_name}/${d.mcp_tool_name ?? "?"})`,
      api_integration_webhook: (d) => `(integration ${d.integration_id})`,
    }),
  )}`;
}

/**
 * Names the result variants every supported version of the API has; `_` takes the ones a newer
 * version adds, so the demo builds against any of them. Leave `_` out in your own code to have
 * the type checker name each variant a regenerated spec adds.
 */
function describeResult(result: ToolResult): string {
  const failed = result.is_error ? " (error)" : "";
  return matchToolResult(result, {
    system: (r) =>
      `system ${r.tool_name}: ${
        r.result
          ? matchSystemResult(r.result, {
              end_call_success: () => "ended the call",
              language_detection_success: (o) => `switched language to ${o.language ?? "?"}`,
              transfer_to_agent_success: (o) => `transferred to agent ${o.to_agent}`,
              transfer_to_agent_error: (o) => `could not transfer to an agent: ${o.error}`,
              transfer_to_number_twilio_success: (o) => `transferred to ${o.transfer_number} (Twilio)`,
              transfer_to_number_sip_success: (o) => `transferred to ${o.transfer_number} (SIP)`,
              transfer_to_number_error: (o) => `could not transfer to a number: ${o.error}`,
              skip_turn_success: () => "let the user keep talking",
              play_dtmf_success: (o) => `played DTMF ${o.dtmf_tones}`,
              play_dtmf_error: (o) => `could not play DTMF: ${o.error}`,
              voicemail_detection_success: () => "reached voicemail",
              testing_tool_result: () => "test result",
              // Kinds this demo does not name (the API adds them: the 2026 document has knowledge-base results).
              _: () => "another kind of outcome",
            })
          : "no outcome recorded"
      }`,
    workflow: (r) => {
      const steps = (r.result?.steps ?? []).map((s) =>
        matchWorkflowStep(s, {
          edge: (e) => `→${e.target_node_id}`,
          nested_tools: (n) => `${n.results.length} tool${n.results.length === 1 ? "" : "s"} at ${n.node_id}`,
          max_iterations_exceeded: (m) => `stopped after ${m.max_iterations} iterations`,
        }),
      );
      return `workflow ${r.tool_name}: ${steps.join(", ") || "no steps"}${failed}`;
    },
    api_integration_webhook: (r) => `integration ${r.tool_name} via ${r.integration_id}${failed}`,
    client: (r) => `client tool ${r.tool_name}${failed}`,
    webhook: (r) => `webhook ${r.tool_name}${failed}`,
    mcp: (r) => `MCP tool ${r.tool_name}${failed}`,
    untyped: (r) => `tool ${r.tool_name} (the API sent no type)${failed}`,
    // A kind of tool this demo does not name (the 2026 document adds `code`): reached at run time too.
    _: () => `a tool of another kind${failed}`,
  });
}

async function recordingStep(convai: ConvaiClient, conversation: Conversation): Promise<void> {
  console.log(bold("3. Recording"));
  if (!conversation.has_audio) {
    console.log("   this conversation has no recording\n");
    return;
  }
  // A temporary folder, named below: the demo leaves nothing in the directory it runs from.
  const file = path.join(
    await mkdtemp(path.join(tmpdir(), "elevenlabs-convai-demo-")),
    `${conversation.conversation_id}.mp3`,
  );
  let shown = 0;
  const saved = await saveConversationAudio(convai, conversation.conversation_id, file, {
    onProgress: ({ bytes, total }) => {
      const percent = total ? Math.floor((bytes / total) * 100) : 0;
      if (process.stdout.isTTY) {
        const bar = "#".repeat(Math.floor(percent / 5)).padEnd(20, "-");
        process.stdout.write(`\r   [${bar}] ${String(percent).padStart(3)}%  ${(bytes / 1e6).toFixed(2)} MB`);
      } else if (percent >= shown + 25) {
        shown = percent - (percent % 25);
        console.log(`   ${String(shown).padStart(3)}%  ${(bytes / 1e6).toFixed(2)} MB`);
      }
    },
  });
  if (process.stdout.isTTY) process.stdout.write("\n");
  console.log(`   saved ${saved.bytes.toLocaleString("en")} bytes of ${saved.contentType} to ${file}\n`);
}

async function sessionStep(convai: ConvaiClient, agent_id: string, live: boolean): Promise<void> {
  console.log(bold("4. A session's conversation id, on the server"));
  const session = await convai.sessions.webrtcToken({ agent_id });
  console.log(
    `   WebRTC token for ${agent_id}: conversation ${session.conversationId ?? "(not in this token)"}` +
      dim(` (from the ${session.conversationIdSource ?? "—"}, expires ${session.expiresAt?.toISOString() ?? "?"})`),
  );
  const signed = await convai.sessions.signedUrl({ agent_id, include_conversation_id: true });
  console.log(`   signed URL: ${clip(signed.signedUrl, 72)}`);
  console.log(`   its conversation: ${signed.conversationId ?? "(none)"}`);
  if (live || !session.conversationId) return;
  // In production the browser now connects with the token; the emulator plays that part.
  await watchStep(convai, session.conversationId);
  const startedAt = Date.now();
  const done = await waitUntilDone(convai, session.conversationId, {
    pollMs: 200,
    totalTimeoutMs: 10_000,
  });
  console.log(
    `   after the call: ${done.conversation_id} is ${done.status} (${Date.now() - startedAt} ms later, ` +
      `${done.transcript.length} turns) — ${done.conversation_id === session.conversationId ? "the same id" : "a different id!"}`,
  );
}

/** Watches the call live on the monitoring socket, prints its turns as they come, then ends it. */
async function watchStep(convai: ConvaiClient, conversationId: string): Promise<void> {
  console.log(dim(`   watching ${conversationId} live on the monitoring socket:`));
  const monitor = monitorConversation(convai, conversationId);
  let turns = 0;
  for await (const event of monitor) {
    const line = matchMonitorEvent(event, {
      user_transcript: (e) => `user:  ${e.user_transcription_event?.user_transcript ?? ""}`,
      agent_response: (e) => `agent: ${e.agent_response_event?.agent_response ?? ""}`,
      client_tool_call: (e) => `tool:  ${e.client_tool_call?.tool_name ?? "?"}`,
      _: () => undefined,
    });
    if (line === undefined) continue;
    console.log(`     ${clip(line, 90)}`);
    if (++turns === 4) {
      await monitor.endCall(); // a supervisor's command: the socket closes and the loop ends
      console.log(dim("     … ended the call with end_call"));
    }
  }
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
