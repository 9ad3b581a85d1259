/** The generated types read as the wire does. Checked by vitest's typecheck mode and by tsc. */
import { describe, expectTypeOf, it } from "vitest";
import type { components, operations, paths } from "../../src/generated/schema.ts";
import type { SystemToolOutcome, SystemToolResult } from "../../src/types.ts";

type Schemas = components["schemas"];
type Json200<O> = O extends { responses: { 200: { content: { "application/json": infer B } } } } ? B : never;

describe("generated types", () => {
  it("writes enums as their values", () => {
    expectTypeOf<Schemas["EvaluationSuccessResult"]>().toEqualTypeOf<"success" | "failure" | "unknown">();
    expectTypeOf<Schemas["UserFeedbackScore"]>().toEqualTypeOf<"like" | "dislike">();
  });

  it("gives each system tool result a string-literal result_type", () => {
    // Reached from the operation, not by component name (which changes between versions).
    expectTypeOf<SystemToolOutcome["result_type"]>().toEqualTypeOf<
      | "end_call_success"
      | "language_detection_success"
      | "transfer_to_agent_success"
      | "transfer_to_agent_error"
      | "transfer_to_number_twilio_success"
      | "transfer_to_number_sip_success"
      | "transfer_to_number_exotel_success"
      | "transfer_to_number_error"
      | "skip_turn_success"
      | "play_dtmf_success"
      | "play_dtmf_error"
      | "voicemail_detection_success"
      | "testing_tool_result"
      | "knowledge_base_success"
      | "knowledge_base_rag_success"
      | "dummy"
    >();
    expectTypeOf<SystemToolResult["type"]>().toEqualTypeOf<"system">();
  });

  it("types the list query with page_size and cursor", () => {
    type Query = NonNullable<operations["listConversations"]["parameters"]["query"]>;
    expectTypeOf<Query["page_size"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Query["cursor"]>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<Query["call_successful"]>().toEqualTypeOf<"success" | "failure" | "unknown" | null | undefined>();
  });

  it("asks no operation for an xi-api-key parameter", () => {
    type Headers = {
      [K in keyof operations]: operations[K]["parameters"]["header"];
    }[keyof operations];
    expectTypeOf<Headers>().toEqualTypeOf<undefined>();
  });

  it("types the audio 200 response as a binary body", () => {
    type Audio = operations["getConversationAudio"]["responses"][200]["content"];
    expectTypeOf<Audio>().toEqualTypeOf<{ "audio/mpeg": Blob }>();
  });

  it("types the 422 response as the validation error", () => {
    // `detail` is optional in the published document (FastAPI's model), required on the pages.
    type Detail = NonNullable<operations["getConversation"]["responses"][422]["content"]["application/json"]["detail"]>;
    expectTypeOf<Detail[number]["loc"]>().toEqualTypeOf<(string | number)[]>();
    expectTypeOf<Detail[number]["msg"]>().toEqualTypeOf<string>();
  });

  it("maps every path and method to its operation", () => {
    expectTypeOf<paths["/v1/convai/conversations/{conversation_id}"]["delete"]>().toEqualTypeOf<
      operations["deleteConversation"]
    >();
    expectTypeOf<Json200<operations["getConversationToken"]>>().toEqualTypeOf<{
      token: string;
      conversation_id: string;
    }>();
    type TokenQuery = operations["getConversationToken"]["parameters"]["query"];
    expectTypeOf<TokenQuery["branch_id"]>().toEqualTypeOf<string | null | undefined>();
  });

  it("lets a request body leave out each field that has a default", () => {
    type Body = operations["runConversationEvaluations"]["requestBody"]["content"]["application/json"];
    expectTypeOf<{ evaluation_id: string }>().toExtend<Body>();
    expectTypeOf<Body["scope"]>().toEqualTypeOf<"conversation" | "agent" | undefined>();
    const body: Body = { evaluation_id: "issue_resolved" };
    expectTypeOf(body).toEqualTypeOf<Body>();
    // A response keeps a defaulted field present: the server fills it in.
    expectTypeOf<SystemToolResult["is_blocked"]>().toEqualTypeOf<boolean>();
  });
});
