/**
 * One generic discriminant matcher, `matchBy(key)`, and one generic guard, `isBy(key)`, with a
 * `match…`/`is…` pair for each union of the transcript and metadata built on them.
 *
 * Handler keys are the discriminant's values as the generated types spell them, so regenerating
 * the types after the API adds a variant turns every match without a `_` catch-all into a compile
 * error. Two keys are reserved: `_`, the catch-all, and `untyped`, which receives the members
 * whose discriminant may be absent or null (tool results from client, webhook and mcp tools can
 * come without a `type`). At run time a value the types do not know goes to `_`, or throws
 * `ConvaiUnknownVariantError` where there is none.
 */
import type {
  InitiationTrigger,
  PhoneCall,
  SystemToolOutcome,
  ToolCallDetails,
  ToolResult,
  WorkflowStep,
} from "../types.ts";
import { ConvaiUnknownVariantError } from "../core/errors.ts";
import { describe } from "../core/input.ts";

const CATCH_ALL = "_";
const UNTYPED = "untyped";

/** The string values the key `K` takes across the members of the union `T`. */
type Tag<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? Extract<T[K], string> : never) : never;

/**
 * The members of `T` whose key `K` can be `V`; a member whose key is wider than `V` (an optional
 * or multi-valued key) comes back with `K` narrowed to the values of `V` it can take.
 *
 * @example
 * type ClientResult = Variant<ToolResult, "type", "client">; // the "other" result with type: "client"
 */
export type Variant<T, K extends PropertyKey, V> = T extends unknown
  ? K extends keyof T
    ? [Extract<T[K], V>] extends [never]
      ? never
      : [Exclude<T[K], V>] extends [never]
        ? T
        : T & { [P in K]: Extract<T[K], V> }
    : never
  : never;

/**
 * The members of `T` whose key `K` may be absent or null, with `K` narrowed to that.
 *
 * @example
 * type UntypedResult = Untyped<ToolResult, "type">; // a client/webhook/mcp result sent without a type
 */
export type Untyped<T, K extends PropertyKey> = T extends unknown
  ? K extends keyof T
    ? [Extract<T[K], null | undefined>] extends [never]
      ? never
      : T & { [P in K]?: Extract<T[K], null | undefined> }
    : never
  : never;

type Fn<In> = (value: In) => unknown;

/** The handler keys a union takes: one per value of `K`, `untyped` where `K` may be missing, and `_`. */
type HandlerKey<T, K extends PropertyKey> = Tag<T, K> | "_" | ([Untyped<T, K>] extends [never] ? never : "untyped");

/** What `_` receives: the members that no handler named in `Keys` covers. */
type Rest<T, K extends PropertyKey, Keys> =
  Variant<T, K, Exclude<Tag<T, K>, Keys>> | ("untyped" extends Keys ? never : Untyped<T, K>);

/** The handler for key `P`, given that the handlers present are `Keys`; `_` also takes the open member `Open`. */
type Handler<T, K extends PropertyKey, Keys, P, Open = never> = P extends "_"
  ? Fn<Rest<T, K, Keys> | Open>
  : P extends "untyped"
    ? Fn<Untyped<T, K>>
    : Fn<Variant<T, K, P>>;

/** The handlers present, typed. A mapped type over `Keys` alone, so that TypeScript infers `Keys` from the object's keys. */
type Cases<T, K extends PropertyKey, Keys extends PropertyKey, Open = never> = {
  [P in Keys]: Handler<T, K, Keys, P, Open>;
};

/** The union of what the handlers return. */
type Returns<H> = { [P in keyof H]-?: H[P] extends (value: never) => infer R ? R : never }[keyof H];

/**
 * A matcher over the union `T` by the key `K`: calls the handler named by `value[K]` and returns
 * what it returns. Handlers are keyed by the values of `K`; `untyped` takes the members whose
 * `K` may be absent or null; `_` takes the rest. Without `_`, a missing handler is a compile
 * error. (`Keys` and `H` are inferred from the handlers object; never write them.)
 *
 * `Open` is a member the union keeps for values the types do not know (a webhook event of a type
 * added later): a value of it is accepted, and it reaches `_`.
 *
 * @example
 * type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number };
 * const matchShape: Match<Shape, "kind"> = matchBy<Shape, "kind">("kind");
 * matchShape(shape, { circle: (c) => c.r, _: (rest) => rest.side }); // rest: the square
 */
export type Match<T, K extends PropertyKey, Open = never> = <
  Keys extends HandlerKey<T, K>,
  H extends Cases<T, K, Keys, Open>,
>(
  value: T | Open,
  handlers: [MissingKeys<T, K, Keys>] extends [never]
    ? H & Cases<T, K, Keys, Open>
    : MissingHandlerFor<MissingKeys<T, K, Keys>> & Cases<T, K, Keys, Open>,
) => Returns<H>;

/** Without `_`, every handler left out: what breaks the build when a variant is added. */
type MissingKeys<T, K extends PropertyKey, Keys> = "_" extends Keys ? never : Exclude<HandlerKey<T, K>, Keys | "_">;
/**
 * The parameter type of a match that lacks handlers, named after the keys it lacks, so that the
 * compiler's first line says which: `… not assignable to parameter of type 'MissingHandlerFor<"mcp"> & …'`.
 */
type MissingHandlerFor<M extends PropertyKey> = { [P in M]: "no handler for this variant (add one, or a _ catch-all)" };

/**
 * Tells whether `value`'s discriminant is `tag` (or one of `tags`), directly or curried (for
 * `.filter`, `.find`, `.some`).
 *
 * @example
 * const isShape: Guard<Shape, "kind"> = isBy<Shape, "kind">("kind");
 * isShape("circle", shape); // direct: narrows `shape`
 * shapes.filter(isShape(["circle", "square"])); // curried: one of several
 */
export interface Guard<T, K extends PropertyKey, Open = never> {
  <V extends Tag<T, K>>(tag: V | readonly V[]): (value: T | Open) => value is Variant<T, K, V>;
  <V extends Tag<T, K>>(tag: V | readonly V[], value: T | Open): value is Variant<T, K, V>;
}

type AnyHandler = ((value: unknown) => unknown) | undefined;

/**
 * The generic matcher: a function that calls the handler named by `value[key]`. Made once per
 * union; the `match…` functions below are all made by it.
 *
 * @example
 * type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number };
 * const matchShape = matchBy<Shape, "kind">("kind");
 * const area = matchShape(shape, { circle: (c) => Math.PI * c.r ** 2, square: (s) => s.side ** 2 });
 *
 * @param key The discriminant.
 * @param name Names the matcher in the `TypeError` thrown when it is given something that is not an object.
 */
export function matchBy<T, K extends keyof T & string, Open = never>(
  key: K,
  name = `matchBy("${key}")`,
): Match<T, K, Open> {
  if (typeof key !== "string" || key === "") {
    throw new TypeError(`matchBy: key must be the name of the tag property (a non-empty string), got ${describe(key)}`);
  }
  // This runs per transcript item: two type checks, one property read and one own-property lookup.
  function match(value: Record<string, unknown>, handlers: Record<string, AnyHandler>): unknown {
    if (typeof value !== "object" || value === null) {
      throw new TypeError(`${name}: value must be an object with a ${key}, got ${describe(value)}`);
    }
    if (typeof handlers !== "object" || handlers === null) {
      throw new TypeError(`${name}: handlers must be an object of functions, got ${describe(handlers)}`);
    }
    const tag = value[key];
    let handler: AnyHandler;
    if (typeof tag === "string") {
      // Own properties only, so that a tag like "toString" never reaches Object.prototype; a tag
      // spelled like a reserved key is unknown, not its handler.
      if (tag !== CATCH_ALL && tag !== UNTYPED && Object.hasOwn(handlers, tag)) handler = handlers[tag];
    } else if (tag === undefined || tag === null) {
      handler = handlers[UNTYPED];
    }
    handler ??= handlers[CATCH_ALL];
    if (handler === undefined) throw new ConvaiUnknownVariantError(key, tag, value);
    return handler(value);
  }
  // The one cast: `Match<T, K>` is what callers see; the body needs only the shapes above.
  return match as unknown as Match<T, K, Open>;
}

/**
 * The generic guard: true when `value[key]` is the given tag (or one of the given tags), called
 * directly or curried. The `is…` guards below are all made by it.
 *
 * @example
 * const isShape = isBy<Shape, "kind">("kind");
 * const circles = shapes.filter(isShape("circle")); // { kind: "circle"; r: number }[]
 */
export function isBy<T, K extends keyof T & string, Open = never>(key: K): Guard<T, K, Open> {
  if (typeof key !== "string" || key === "") {
    throw new TypeError(`isBy: key must be the name of the tag property (a non-empty string), got ${describe(key)}`);
  }
  // `arguments.length`, not `value === undefined`, tells the two forms apart, and the direct form
  // allocates nothing: it runs per transcript item.
  function is(tag: string | readonly string[], value?: Record<string, unknown>): unknown {
    if (typeof tag !== "string" && !Array.isArray(tag)) {
      throw new TypeError(`isBy("${key}"): tag must be a string or an array of strings, got ${describe(tag)}`);
    }
    if (arguments.length >= 2) {
      if (typeof value !== "object" || value === null) return false;
      const found = value[key];
      return typeof tag === "string" ? found === tag : tag.includes(found as string);
    }
    if (typeof tag === "string") return (item: Record<string, unknown> | null) => item?.[key] === tag;
    const tags: readonly unknown[] = [...tag]; // a copy: the caller may reuse and change its array
    return (item: Record<string, unknown> | null) => item != null && tags.includes(item[key]);
  }
  return is as unknown as Guard<T, K, Open>;
}

/**
 * Matches a transcript tool result by `type`: `system`, `workflow`, `api_integration_webhook`,
 * `client`, `webhook`, `mcp`, and `untyped` for a client/webhook/mcp result sent without a type.
 *
 * @example
 * const summary = matchToolResult(result, {
 *   system: (r) => `system: ${r.result?.result_type ?? "no outcome"}`,
 *   workflow: (r) => `workflow with ${r.result?.steps?.length ?? 0} steps`,
 *   _: (r) => `${r.tool_name}: ${r.result_value}`,
 * });
 */
export const matchToolResult = /* @__PURE__ */ matchBy<ToolResult, "type">("type", "matchToolResult");

/**
 * Whether a tool result has the given `type` (or one of them).
 *
 * @example
 * const systemResults = turn.tool_results?.filter(isToolResult("system")) ?? []; // SystemToolResult[]
 */
export const isToolResult = /* @__PURE__ */ isBy<ToolResult, "type">("type");

/**
 * Matches what a system tool did (a system result's `result`) by `result_type`.
 *
 * @example
 * if (r.result) {
 *   matchSystemResult(r.result, {
 *     transfer_to_number_twilio_success: (o) => console.log("transferred to", o.transfer_number),
 *     end_call_success: (o) => console.log("ended:", o.reason),
 *     _: () => {},
 *   });
 * }
 */
export const matchSystemResult = /* @__PURE__ */ matchBy<SystemToolOutcome, "result_type">(
  "result_type",
  "matchSystemResult",
);

/**
 * Whether a system tool outcome has the given `result_type` (or one of them).
 *
 * @example
 * const failed = isSystemResult(["transfer_to_agent_error", "transfer_to_number_error", "play_dtmf_error"], outcome);
 */
export const isSystemResult = /* @__PURE__ */ isBy<SystemToolOutcome, "result_type">("result_type");

/**
 * Matches a workflow step by `type`: `edge`, `nested_tools`, `max_iterations_exceeded`.
 *
 * @example
 * for (const step of workflowResult.result?.steps ?? []) {
 *   matchWorkflowStep(step, {
 *     edge: (s) => console.log("->", s.target_node_id),
 *     nested_tools: (s) => console.log(s.node_id, s.results.length, "tool results"),
 *     max_iterations_exceeded: (s) => console.warn("stopped after", s.max_iterations),
 *   });
 * }
 */
export const matchWorkflowStep = /* @__PURE__ */ matchBy<WorkflowStep, "type">("type", "matchWorkflowStep");

/**
 * Whether a workflow step has the given `type` (or one of them).
 *
 * @example
 * const nested = steps.filter(isWorkflowStep("nested_tools")).flatMap((s) => s.results);
 */
export const isWorkflowStep = /* @__PURE__ */ isBy<WorkflowStep, "type">("type");

/**
 * Matches a tool call's `tool_details` by `type`: `webhook`, `client`, `mcp`, `api_integration_webhook`.
 *
 * @example
 * const target = call.tool_details
 *   ? matchToolCall(call.tool_details, {
 *       webhook: (d) => `${d.method} ${d.url}`,
 *       api_integration_webhook: (d) => `${d.webhook_details.method} ${d.webhook_details.url}`,
 *       mcp: (d) => `mcp ${d.mcp_server_name}`,
 *       client: () => "client",
 *     })
 *   : "unknown";
 */
export const matchToolCall = /* @__PURE__ */ matchBy<ToolCallDetails, "type">("type", "matchToolCall");

/**
 * Whether a tool call's details have the given `type` (or one of them).
 *
 * @example
 * if (call.tool_details && isToolCall("webhook", call.tool_details)) console.log(call.tool_details.url);
 */
export const isToolCall = /* @__PURE__ */ isBy<ToolCallDetails, "type">("type");

/**
 * Matches the phone leg of a conversation by `type`: `twilio`, `sip_trunking`.
 *
 * @example
 * const phone = conversation.metadata.phone_call;
 * const sid = phone ? matchPhoneCall(phone, { twilio: (p) => p.stream_sid, sip_trunking: (p) => p.call_sid }) : undefined;
 */
export const matchPhoneCall = /* @__PURE__ */ matchBy<PhoneCall, "type">("type", "matchPhoneCall");

/**
 * Whether a phone call has the given `type` (or one of them).
 *
 * @example
 * const phone = conversation.metadata.phone_call;
 * if (phone && isPhoneCall("twilio", phone)) console.log(phone.stream_sid);
 */
export const isPhoneCall = /* @__PURE__ */ isBy<PhoneCall, "type">("type");

/**
 * Matches what started a conversation by `trigger_type`: `default`, `zendesk`.
 *
 * @example
 * const trigger = conversation.metadata.initiation_trigger;
 * const ticket = trigger && matchInitiationTrigger(trigger, { zendesk: (t) => t.ticket_id, default: () => undefined });
 */
export const matchInitiationTrigger = /* @__PURE__ */ matchBy<InitiationTrigger, "trigger_type">(
  "trigger_type",
  "matchInitiationTrigger",
);

/**
 * Whether an initiation trigger has the given `trigger_type` (or one of them).
 *
 * @example
 * const trigger = conversation.metadata.initiation_trigger;
 * if (trigger && isInitiationTrigger("zendesk", trigger)) console.log("ticket", trigger.ticket_id);
 */
export const isInitiationTrigger = /* @__PURE__ */ isBy<InitiationTrigger, "trigger_type">("trigger_type");
