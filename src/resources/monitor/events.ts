/**
 * The monitor's event helpers: a matcher and a guard over `MonitorEvent`'s `type`. Separate from
 * the connection, so a program that only narrows events (stored ones, say) does not bundle it.
 */
import { isBy, matchBy } from "../../transcript/narrowing.ts";
import type { KnownMonitorEvent, UnknownMonitorEvent } from "../../types.ts";

/**
 * Matches a monitor event by `type`; `_` takes the rest, including kinds the AsyncAPI document
 * does not list (such as `agent_tool_response`).
 *
 * @example
 * matchMonitorEvent(event, { user_transcript: (e) => print("user", e.user_transcription_event.user_transcript), _: () => {} });
 */
export const matchMonitorEvent = /* @__PURE__ */ matchBy<KnownMonitorEvent, "type", UnknownMonitorEvent>(
  "type",
  "matchMonitorEvent",
);

/**
 * Whether a monitor event has the given `type` (or one of them).
 *
 * @example
 * if (isMonitorEvent("agent_response", event)) console.log(event.agent_response_event.agent_response);
 */
export const isMonitorEvent = /* @__PURE__ */ isBy<KnownMonitorEvent, "type", UnknownMonitorEvent>("type");
