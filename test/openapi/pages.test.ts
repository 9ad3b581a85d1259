import path from "node:path";
import { describe, expect, it } from "vitest";
import { mergeFragments } from "../../scripts/openapi/build.ts";
import {
  FRAGMENTS_DIR,
  ROOT,
  buildFromRecord,
  loadBuildConfig,
  readBuildInput,
  readFragments,
} from "../../scripts/openapi/io.ts";
import type { JsonObject } from "../../scripts/openapi/json.ts";
import { comparePages } from "../../scripts/openapi/pages.ts";

/** A one-operation document: a conversation endpoint with a query parameter and a response. */
function doc(parameters: JsonObject[], conversation: JsonObject, id = "getConversation"): JsonObject {
  return {
    openapi: "3.1.1",
    info: { title: "t", version: "1" },
    paths: {
      "/v1/convai/conversations/{conversation_id}": {
        get: {
          operationId: id,
          parameters,
          responses: {
            "200": {
              description: "ok",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Conversation" } } },
            },
          },
        },
      },
    },
    components: { schemas: { Conversation: conversation } },
  };
}

const pages = doc([{ name: "format", in: "query", schema: { type: "string", enum: ["json", "otlp"] } }], {
  type: "object",
  properties: {
    status: { type: "string", enum: ["initiated", "done", "failed"] },
    duration: { type: "integer" },
    transcript: {
      type: "array",
      items: { type: "object", properties: { extra: { type: "object", properties: { x: { type: "string" } } } } },
    },
    labels: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } },
    metadata: {
      type: "object",
      properties: {
        trigger: {
          oneOf: [{ type: "object", properties: { kind: { const: "zendesk" }, ticket: { type: "integer" } } }],
        },
        whatsapp: { type: "object", properties: { account: { type: "string" }, phone: { type: "string" } } },
      },
    },
  },
});

const published = doc([{ name: "agent_id", in: "query", schema: { type: "string" } }], {
  type: "object",
  properties: {
    status: { type: "string", enum: ["initiated", "done", "cancelled"] },
    duration: { anyOf: [{ type: "number" }, { type: "null" }] },
    transcript: { type: "array", items: { type: "object", properties: { role: { type: "string" } } } },
    metadata: {
      type: "object",
      properties: { whatsapp: { type: "object", properties: { phone: { type: "string" } } } },
    },
  },
});

describe("the reference pages against the published document", () => {
  it("lists what the pages have and the document lacks, outermost field only, and whether it was kept", () => {
    const built = structuredClone(published);
    const schemas = (built.components as JsonObject).schemas as JsonObject;
    const metadata = ((schemas.Conversation as JsonObject).properties as JsonObject).metadata as JsonObject;
    // As an x-fill-only overlay action would: the pages' field added to the built document.
    (metadata.properties as JsonObject).trigger = (
      (((pages.components as JsonObject).schemas as JsonObject).Conversation as JsonObject).properties as JsonObject
    ).metadata!;
    const lines = comparePages(pages, published, built);
    expect(lines).toContain(
      "query parameter `format` of getConversation: on the reference pages, not in the document; not kept: the document wins",
    );
    expect(lines).toContain(
      "response field `metadata.whatsapp.account` of getConversation: on the reference pages, not in the document; not kept: the document wins",
    );
    expect(lines).toContain(
      "response field `metadata.trigger` of getConversation: on the reference pages, not in the document; kept, optional (openapi/overlay.yaml)",
    );
    expect(lines).toContain(
      "response field `transcript[].extra` of getConversation: on the reference pages, not in the document; not kept: the document wins",
    );
    // Nested fields of a missing field are not listed again, in an object or an array's items.
    expect(lines).toContain(
      "response field `labels` of getConversation: on the reference pages, not in the document; not kept: the document wins",
    );
    expect(lines.some((l) => /metadata\.trigger\.kind|extra\.x|labels\[\]/.test(l))).toBe(false);
  });

  it("names each disagreement of type and of enum values, and the side the build followed", () => {
    const lines = comparePages(pages, published, published);
    expect(lines).toContain(
      "response field `duration` of getConversation: the pages type it integer, the document number; the document wins",
    );
    expect(lines).toContain(
      "response field `status` of getConversation: the pages list `failed`, the document does not (its values: `initiated`, `done`, `cancelled`); the document wins",
    );
    const overridden = structuredClone(published);
    const status = (
      (((overridden.components as JsonObject).schemas as JsonObject).Conversation as JsonObject)
        .properties as JsonObject
    ).status as JsonObject;
    status.enum = ["initiated", "done", "failed"];
    expect(comparePages(pages, published, overridden)).toContain(
      "response field `status` of getConversation: the pages list `failed`, the document does not (its values: `initiated`, `done`, `cancelled`); the pages win (openapi/overlay.yaml)",
    );
  });

  it("is silent where the two agree, and on what only the document has", () => {
    expect(comparePages(pages, pages, pages)).toEqual([]);
    expect(comparePages(pages, published, published).filter((l) => l.includes("agent_id"))).toEqual([]);
  });

  it("names what the 2026-08-22 document lacks of the pages: the kept initiation trigger, and the WhatsApp account id", async () => {
    const record = { from: "openapi/upstream/elevenlabs-openapi-2026-08-22.json.gz" };
    const input = await readBuildInput(record);
    const built = await buildFromRecord(record, ROOT, [], input);
    if (input.kind !== "standard") throw new Error("expected a standard document");
    const fragments = mergeFragments(await readFragments(path.join(ROOT, FRAGMENTS_DIR)), await loadBuildConfig());
    expect(comparePages(fragments, input.doc, built)).toEqual([
      "response field `metadata.initiation_trigger` of getConversation: on the reference pages, not in the document; kept, optional (openapi/overlay.yaml)",
      "response field `metadata.whatsapp.whatsapp_business_account_id` of getConversation: on the reference pages, not in the document; not kept: the document wins",
    ]);
  });
});
