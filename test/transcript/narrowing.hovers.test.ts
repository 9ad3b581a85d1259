/**
 * What editors show: hovers through the TypeScript language service over a consumer file. In
 * the slow project: it runs the compiler.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

describe("what editors show (issue 22)", () => {
  it("hovers in match handlers and on transcript turns show the package's names, not components[…] structures", async () => {
    const dir = path.resolve(import.meta.dirname, "../..");
    const file = path.join(dir, "test/.hover-consumer.ts");
    const text = `import { matchPhoneCall, matchSystemResult, matchToolResult, matchWorkflowStep, isToolResult, toolResults } from "../src/index.ts";
import type { Conversation } from "../src/types.ts";
declare const conversation: Conversation;
for (const { result: res1, turn: turn1 } of toolResults(conversation)) {
  matchToolResult(res1, {
    system: (sys1) => sys1.result && matchSystemResult(sys1.result, { _: (out1) => out1 }),
    workflow: (wf1) => wf1.result?.steps?.map((st1) => matchWorkflowStep(st1, { _: (rest3) => rest3 })),
    api_integration_webhook: (api1) => api1,
    untyped: (unt1) => unt1,
    _: (rest1) => rest1,
  });
  void turn1;
}
const turn2 = conversation.transcript[0]!;
const results2 = turn2.tool_results;
const calls2 = turn2.tool_calls;
const details2 = calls2?.[0]?.tool_details;
const phone2 = conversation.metadata.phone_call;
if (phone2) matchPhoneCall(phone2, { twilio: (tw1) => tw1, sip_trunking: (sip1) => sip1, _: (other) => other });
const sys3 = results2?.filter(isToolResult("system"));
`;
    const options = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
    };
    const service = ts.createLanguageService({
      getScriptFileNames: () => [file],
      getScriptVersion: () => "1",
      getScriptSnapshot: (f) =>
        f === file
          ? ts.ScriptSnapshot.fromString(text)
          : ts.sys.fileExists(f)
            ? ts.ScriptSnapshot.fromString(readFileSync(f, "utf8"))
            : undefined,
      getCurrentDirectory: () => dir,
      getCompilationSettings: () => options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => f === file || ts.sys.fileExists(f),
      readFile: (f) => (f === file ? text : ts.sys.readFile(f)),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    });
    expect(
      service.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    ).toEqual([]);
    const hover = (name: string) => {
      const info = service.getQuickInfoAtPosition(file, text.indexOf(name));
      return ts
        .displayPartsToString(info?.displayParts ?? [])
        .replace(/\s+/g, " ")
        .replace(/^\S+ \S+: |^\(\w+\) \S+: /, "");
    };
    expect(
      Object.fromEntries(
        [
          "res1",
          "turn1",
          "sys1",
          "wf1",
          "st1",
          "api1",
          "unt1",
          "turn2",
          "results2",
          "calls2",
          "details2",
          "phone2",
          "tw1",
          "sip1",
          "sys3",
        ].map((name) => [name, hover(name)]),
      ),
    ).toEqual({
      res1: "ToolResult",
      turn1: "TranscriptTurn",
      sys1: "SystemToolResult",
      wf1: "WorkflowToolResult",
      st1: "WorkflowStep",
      api1: "ApiIntegrationWebhookToolResult",
      unt1: "OtherToolResult & { type?: null | undefined; }",
      turn2: "TranscriptTurn",
      results2: "ToolResult[] | undefined",
      calls2: "ToolCall[] | undefined",
      details2: "ToolCallDetails | null | undefined",
      phone2: "PhoneCall | null | undefined",
      tw1: "TwilioPhoneCall",
      sip1: "SipTrunkingPhoneCall",
      sys3: "SystemToolResult[] | undefined",
    });
    for (const name of ["out1", "rest3", "rest1"]) expect(hover(name)).not.toMatch(/components(\$\d+)?\[/);
  }, 120_000);
});
