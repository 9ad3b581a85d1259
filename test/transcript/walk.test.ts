/** The transcript walkers (src/transcript/walk.ts) given nulls where the document allows them. */
import { describe, expect, it } from "vitest";
import { pairToolCalls, toolCalls, toolResults } from "../../src/index.ts";
import { NULL_SYSTEM_RESULT } from "../helpers.ts";

describe("transcripts with nulls", () => {
  const result = NULL_SYSTEM_RESULT;
  const nested = {
    ...result,
    request_id: "wf",
    type: "workflow",
    result: {
      steps: [
        null,
        { type: "nested_tools", results: null, requests: null },
        { type: "nested_tools", results: [null, result], requests: [null] },
      ],
    },
  };
  const odd = {
    transcript: [
      null,
      { role: "agent", tool_results: null, tool_calls: null },
      { role: "agent", tool_results: [null, nested], tool_calls: [null] },
    ],
  } as never;

  it("walkers skip every null: transcript, lists and items", () => {
    expect([...toolResults({ transcript: null } as never)]).toEqual([]);
    expect([...toolResults(odd)].map((e) => e.result.request_id)).toEqual(["wf", "r1"]);
    expect([...toolCalls(odd)]).toEqual([]);
    expect([...pairToolCalls(odd)]).toEqual([]);
  });
});
