/**
 * Walking a conversation's tool activity. Workflow tools run other tools, and the API reports
 * those inside the workflow result (`result.steps[].results` and `.requests` of `nested_tools`
 * steps, to any depth), not in the turn; these walkers reach them. All are lazy generators:
 * nothing is read before the first `next()`, and a `break` stops the walk. A `null` where a list
 * or an item should be (the wire sends them) is skipped.
 */
import type { ToolCall, ToolResult, TranscriptTurn, WorkflowToolResult } from "../types.ts";
import { describe } from "../core/input.ts";
import { NONE } from "../core/util.ts";
import { isToolResult, isWorkflowStep } from "./narrowing.ts";

/** A conversation (only its transcript is read) or its transcript. */
export type TranscriptSource = { readonly transcript: readonly TranscriptTurn[] } | readonly TranscriptTurn[];

/** A tool result with where it was found. */
export interface ToolResultEntry {
  readonly result: ToolResult;
  /** The transcript turn that holds the result (for a nested result, the turn of its outermost workflow). */
  readonly turn: TranscriptTurn;
  readonly turnIndex: number;
  /** The workflow result whose `nested_tools` step holds this result; undefined for a result of the turn itself. */
  readonly parent: WorkflowToolResult | undefined;
}

/** A tool call with where it was made. */
export interface ToolCallEntry {
  readonly call: ToolCall;
  /** The transcript turn that holds the call (for a nested call, the turn of its workflow result). */
  readonly turn: TranscriptTurn;
  readonly turnIndex: number;
  /** The workflow result whose `nested_tools` step made this call; undefined for a call of the turn itself. */
  readonly parent: WorkflowToolResult | undefined;
}

/** A tool call with its result, matched by `request_id`. */
export interface ToolCallPair extends ToolCallEntry {
  /** The result with the call's `request_id`, found anywhere in the conversation; undefined when there is none. */
  readonly result: ToolResult | undefined;
}

/**
 * Every tool result of a conversation, in transcript order, each workflow result followed by the
 * results nested in its steps (depth first, to any depth).
 *
 * @example
 * for (const { result, turnIndex, parent } of toolResults(conversation)) {
 *   if (result.is_error) console.log(`turn ${turnIndex}: ${result.tool_name} failed`, parent?.tool_name ?? "");
 * }
 */
export function* toolResults(source: TranscriptSource): Generator<ToolResultEntry, void, undefined> {
  const transcript = transcriptOf("toolResults", source);
  for (let turnIndex = 0; turnIndex < transcript.length; turnIndex++) {
    const turn = transcript[turnIndex];
    if (turn == null) continue;
    for (const result of turn.tool_results ?? NONE) {
      if (result == null) continue;
      yield { result, turn, turnIndex, parent: undefined };
      // Only workflow results hold more; a nested generator per result would cost more than the walk.
      if (isToolResult("workflow", result)) yield* nestedIn(result, turn, turnIndex);
    }
  }
}

/** The results inside a workflow result's `nested_tools` steps, each followed by its own nested ones. */
function* nestedIn(
  parent: WorkflowToolResult,
  turn: TranscriptTurn,
  turnIndex: number,
): Generator<ToolResultEntry, void, undefined> {
  for (const step of parent.result?.steps ?? NONE) {
    if (!isWorkflowStep("nested_tools", step)) continue;
    for (const result of step.results ?? NONE) {
      if (result == null) continue;
      yield { result, turn, turnIndex, parent };
      if (isToolResult("workflow", result)) yield* nestedIn(result, turn, turnIndex);
    }
  }
}

/**
 * Every tool call of a conversation, in transcript order: the calls of a turn, then the calls made
 * inside its workflow results (to any depth).
 *
 * @example
 * const names = new Set([...toolCalls(conversation)].map(({ call }) => call.tool_name));
 */
export function* toolCalls(source: TranscriptSource): Generator<ToolCallEntry, void, undefined> {
  const transcript = transcriptOf("toolCalls", source);
  for (let turnIndex = 0; turnIndex < transcript.length; turnIndex++) {
    const turn = transcript[turnIndex];
    if (turn == null) continue;
    for (const call of turn.tool_calls ?? NONE) if (call != null) yield { call, turn, turnIndex, parent: undefined };
    for (const top of turn.tool_results ?? NONE) {
      if (!isToolResult("workflow", top)) continue;
      for (const parent of workflowsIn(top)) {
        for (const step of parent.result?.steps ?? NONE) {
          if (!isWorkflowStep("nested_tools", step)) continue;
          for (const call of step.requests ?? NONE) if (call != null) yield { call, turn, turnIndex, parent };
        }
      }
    }
  }
}

/**
 * Every tool call of a conversation, in the order of {@link toolCalls}, each with its result by
 * `request_id`, or `undefined` when the conversation has none (the call failed to run, or the
 * conversation is still going).
 *
 * @example
 * for (const { call, result } of pairToolCalls(conversation)) {
 *   console.log(call.tool_name, call.params_as_json, "->", result ? result.result_value : "no result");
 * }
 */
export function* pairToolCalls(source: TranscriptSource): Generator<ToolCallPair, void, undefined> {
  const transcript = transcriptOf("pairToolCalls", source);
  // Results are indexed as the calls ask for them: a result comes in its call's turn or after
  // it, so a lookup reads ahead only as far as that result (an unmatched call reads to the end,
  // once). When two results share a request_id, the first wins.
  const pending = toolResults(transcript);
  const byRequestId = new Map<string, ToolResult>();
  const resultFor = (requestId: string): ToolResult | undefined => {
    for (;;) {
      const known = byRequestId.get(requestId);
      if (known !== undefined) return known;
      const next = pending.next();
      if (next.done) return undefined;
      const { result } = next.value;
      if (!byRequestId.has(result.request_id)) byRequestId.set(result.request_id, result);
    }
  };
  for (const entry of toolCalls(transcript)) yield { ...entry, result: resultFor(entry.call.request_id) };
}

/** A workflow result and every workflow result nested in its steps, depth first. */
function* workflowsIn(workflow: WorkflowToolResult): Generator<WorkflowToolResult, void, undefined> {
  yield workflow;
  for (const step of workflow.result?.steps ?? NONE) {
    if (!isWorkflowStep("nested_tools", step)) continue;
    for (const nested of step.results ?? NONE) if (isToolResult("workflow", nested)) yield* workflowsIn(nested);
  }
}

function transcriptOf(where: string, source: TranscriptSource): readonly TranscriptTurn[] {
  if (typeof source !== "object" || source === null) {
    throw new TypeError(`${where}: source must be a conversation or its transcript, got ${describe(source)}`);
  }
  return isTranscript(source) ? source : (source.transcript ?? NONE);
}

// Array.isArray does not narrow a readonly array out of a union; this does.
function isTranscript(source: TranscriptSource): source is readonly TranscriptTurn[] {
  return Array.isArray(source);
}
