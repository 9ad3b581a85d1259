/**
 * A conversation's trace in OpenTelemetry's JSON form (an OTLP `ExportTraceServiceRequest`), as
 * `GET …/conversations/{id}?format=opentelemetry` returns it in `otlp_traces`: one span for the
 * conversation, a child per turn, and a grandchild per tool call, ended by its result. Ids are
 * hex and derived from the conversation id; times are nanoseconds since the epoch, as strings.
 */
import type { Conversation, OtlpKeyValue, OtlpSpan, OtlpTraces } from "../../types.ts";
import { createRandom, hashString } from "./random.ts";

const HEX = "0123456789abcdef";

/**
 * What the trace reads of a conversation, loosely: a version of the spec may drop or reshape any
 * field (a tool result type without `tool_latency_secs`), and the emulator must build against it.
 */
interface TraceSource {
  conversation_id: string;
  agent_id: string;
  status: string;
  metadata: { start_time_unix_secs: number; call_duration_secs?: number };
  transcript: {
    role: string;
    time_in_call_secs?: number;
    interrupted?: boolean;
    tool_calls?: { request_id: string; tool_name: string; type?: string | null }[] | null;
    tool_results?:
      | {
          request_id: string;
          type?: string | null;
          is_error?: boolean;
          result_value?: string;
          tool_latency_secs?: number | null;
        }[]
      | null;
  }[];
}

function hex(rng: { int(min: number, max: number): number }, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += HEX[rng.int(0, 15)];
  return out;
}

const nanos = (secs: number): string => (BigInt(Math.round(secs * 1000)) * 1_000_000n).toString();

function attributes(values: Record<string, string | number | boolean | null | undefined>): OtlpKeyValue[] {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== null && entry[1] !== undefined)
    .map(([key, v]) => ({
      key,
      value:
        typeof v === "string"
          ? { stringValue: v }
          : typeof v === "boolean"
            ? { boolValue: v }
            : Number.isInteger(v)
              ? { intValue: String(v) }
              : { doubleValue: v },
    }));
}

/**
 * The trace of `conversation`.
 *
 * @example
 * const traces = otlpTraces(conversation);
 * traces.resourceSpans[0].scopeSpans[0].spans.length; // 1 + turns + tool calls
 */
export function otlpTraces(served: Conversation): OtlpTraces {
  const conversation = served as unknown as TraceSource;
  const rng = createRandom(hashString(conversation.conversation_id));
  const traceId = hex(rng, 32);
  const start = conversation.metadata.start_time_unix_secs;
  const duration = conversation.metadata.call_duration_secs ?? 0;
  const root: OtlpSpan = {
    traceId,
    spanId: hex(rng, 16),
    name: "conversation",
    kind: 2,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(start + duration),
    attributes: attributes({
      "conversation.id": conversation.conversation_id,
      "agent.id": conversation.agent_id,
      "conversation.status": conversation.status,
      "conversation.turns": conversation.transcript.length,
    }),
    status: { code: conversation.status === "failed" ? 2 : 1 },
  };
  const spans: OtlpSpan[] = [root];
  const turns = conversation.transcript;
  turns.forEach((turn, i) => {
    const from = start + (turn.time_in_call_secs ?? 0);
    const to = start + (turns[i + 1]?.time_in_call_secs ?? duration);
    const span: OtlpSpan = {
      traceId,
      spanId: hex(rng, 16),
      parentSpanId: root.spanId,
      name: `${turn.role}.turn`,
      kind: 1,
      startTimeUnixNano: nanos(from),
      endTimeUnixNano: nanos(Math.max(from, to)),
      attributes: attributes({ "turn.index": i, "turn.role": turn.role, "turn.interrupted": turn.interrupted }),
    };
    spans.push(span);
    for (const call of turn.tool_calls ?? []) {
      // The result comes on a later turn; the span ends when it does.
      const answered = turns.slice(i).find((t) => t.tool_results?.some((r) => r.request_id === call.request_id));
      const result = answered?.tool_results?.find((r) => r.request_id === call.request_id);
      const latency = result?.tool_latency_secs ?? 0;
      spans.push({
        traceId,
        spanId: hex(rng, 16),
        parentSpanId: span.spanId,
        name: `tool ${call.tool_name}`,
        kind: 3,
        startTimeUnixNano: nanos(from),
        endTimeUnixNano: nanos(from + latency),
        attributes: attributes({
          "tool.name": call.tool_name,
          "tool.request_id": call.request_id,
          "tool.type": result?.type ?? call.type ?? undefined,
        }),
        status: result?.is_error ? { code: 2, message: result.result_value ?? "" } : { code: result ? 1 : 0 },
      });
    }
  });
  return {
    resourceSpans: [
      {
        resource: {
          attributes: attributes({ "service.name": "elevenlabs-agents", "agent.id": conversation.agent_id }),
        },
        scopeSpans: [{ scope: { name: "elevenlabs.convai", version: "1" }, spans }],
      },
    ],
  };
}
