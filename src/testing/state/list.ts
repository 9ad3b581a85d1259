/**
 * `GET /v1/convai/conversations`: every filter of the published operation, keyset pagination
 * with opaque cursors, and FastAPI-style validation of the query.
 */
import type { ConversationsPage } from "../../types.ts";
import type { ConversationIndex, Key, Snapshot } from "./store.ts";
import { QueryReader, enumList, type Issue } from "../http/validation.ts";

const OUTCOMES = ["success", "failure", "unknown"] as const;
const OPERATORS = ["eq", "neq", "gt", "gte", "lt", "lte", "in", "exists", "missing"] as const;
type Operator = (typeof OPERATORS)[number];

/** The list's query, validated. */
interface ListQuery {
  cursor: Key | undefined;
  pageSize: number;
  includeSummary: boolean;
  test: (snapshot: Snapshot) => boolean;
}

interface DataCondition {
  id: string;
  op: Operator;
  value: string;
}

/**
 * Reads the list's query string. Returns the problems instead when any parameter is invalid.
 *
 * @example
 * const query = parseListQuery(url.searchParams);
 * if (Array.isArray(query)) return unprocessable(query);
 */
export function parseListQuery(params: URLSearchParams): ListQuery | Issue[] {
  const q = new QueryReader(params);
  const rawCursor = q.string("cursor");
  const cursor = rawCursor === undefined || rawCursor === "" ? undefined : decodeCursor(rawCursor);
  if (cursor === null) q.invalid("cursor", "the cursor is not one this API returned", rawCursor);
  const agentId = q.string("agent_id");
  const callSuccessful = q.oneOf("call_successful", OUTCOMES);
  const before = q.integer("call_start_before_unix");
  const after = q.integer("call_start_after_unix");
  const durationMin = q.integer("call_duration_min_secs");
  const durationMax = q.integer("call_duration_max_secs");
  const ratingMax = q.integer("rating_max");
  const ratingMin = q.integer("rating_min");
  const hasComment = q.boolean("has_feedback_comment");
  const userId = q.string("user_id");
  const evaluations = q.list("evaluation_params").flatMap((raw) => {
    const [id, result, ...rest] = raw.split(":");
    if (!id || rest.length > 0 || !(OUTCOMES as readonly string[]).includes(result ?? "")) {
      q.invalid("evaluation_params", `expected criteria_id:result with result ${enumList(OUTCOMES)}`, raw);
      return [];
    }
    return [{ id, result }];
  });
  const conditions = q.list("data_collection_params").flatMap((raw): DataCondition[] => {
    const condition = parseCondition(raw);
    if (!condition) q.invalid("data_collection_params", `expected id:op:value with op ${enumList(OPERATORS)}`, raw);
    return condition ? [condition] : [];
  });
  const toolNames = q.list("tool_names");
  const pageSize = q.integer("page_size", { min: 1, max: 100 }) ?? 30;
  const summaryMode = q.oneOf("summary_mode", ["exclude", "include"] as const);
  const search = q.string("search")?.toLowerCase();
  if (q.issues.length > 0) return q.issues;

  const test = (s: Snapshot): boolean => {
    const { header } = s;
    const { metadata, analysis } = header;
    const start = metadata.start_time_unix_secs;
    const duration = metadata.call_duration_secs;
    const rating = metadata.feedback?.rating ?? null;
    if (agentId !== undefined && header.agent_id !== agentId) return false;
    if (callSuccessful !== undefined && (analysis?.call_successful ?? "unknown") !== callSuccessful) return false;
    // Both bounds are exclusive: "before" and "after" that moment.
    if (before !== undefined && !(start < before)) return false;
    if (after !== undefined && !(start > after)) return false;
    if (durationMin !== undefined && duration < durationMin) return false;
    if (durationMax !== undefined && duration > durationMax) return false;
    if (ratingMin !== undefined && (rating === null || rating < ratingMin)) return false;
    if (ratingMax !== undefined && (rating === null || rating > ratingMax)) return false;
    if (hasComment !== undefined && Boolean(metadata.feedback?.comment) !== hasComment) return false;
    if (userId !== undefined && header.user_id !== userId) return false;
    for (const { id, result } of evaluations) {
      if (analysis?.evaluation_criteria_results?.[id]?.result !== result) return false;
    }
    for (const condition of conditions) {
      const results = analysis?.data_collection_results ?? {};
      const present = Object.hasOwn(results, condition.id);
      if (!holds(condition, present ? results[condition.id]?.value : undefined)) return false;
    }
    if (toolNames.length > 0 && !toolNames.some((name) => s.toolNames.includes(name))) return false;
    // Last: the only filter that needs the transcript, so it is built only for candidates.
    if (search !== undefined && !s.searchText().includes(search)) return false;
    return true;
  };
  return { cursor: cursor ?? undefined, pageSize, includeSummary: summaryMode === "include", test };
}

function parseCondition(raw: string): DataCondition | undefined {
  const first = raw.indexOf(":");
  if (first <= 0) return undefined;
  const second = raw.indexOf(":", first + 1);
  const op = raw.slice(first + 1, second < 0 ? undefined : second);
  const value = second < 0 ? undefined : raw.slice(second + 1);
  if (!(OPERATORS as readonly string[]).includes(op)) return undefined;
  if (value === undefined && op !== "exists" && op !== "missing") return undefined;
  return { id: raw.slice(0, first), op: op as Operator, value: value ?? "" };
}

/**
 * Whether a collected value satisfies a condition. `exists`/`missing` look at presence (a null
 * value counts as missing); every other operator needs a value, compares numbers as numbers,
 * booleans by `true`/`false`, and everything else as strings.
 */
function holds({ op, value: wanted }: DataCondition, value: unknown): boolean {
  const absent = value === undefined || value === null;
  if (op === "exists") return !absent;
  if (op === "missing") return absent;
  if (absent) return false;
  const equals = (text: string): boolean =>
    typeof value === "number"
      ? text.trim() !== "" && Number(text) === value
      : typeof value === "boolean"
        ? text.toLowerCase() === String(value)
        : String(value) === text;
  switch (op) {
    case "eq":
      return equals(wanted);
    case "neq":
      return !equals(wanted);
    case "in":
      return wanted.split("|").some(equals);
    default: {
      const n = Number(wanted);
      if (typeof value !== "number" || wanted.trim() === "" || Number.isNaN(n)) return false;
      return op === "gt" ? value > n : op === "gte" ? value >= n : op === "lt" ? value < n : value <= n;
    }
  }
}

/**
 * An opaque cursor: the last listed item's sort key, base64url-encoded.
 *
 * @example
 * encodeCursor({ start: 1_763_699_940, id: "conv_abc" }); // "WzE3NjM2OTk5NDAsImNvbnZfYWJjIl0"
 */
function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify([key.start, key.id])).toString("base64url");
}

/**
 * The key a cursor carries, or `null` when it is not a cursor this emulator made.
 *
 * @example
 * decodeCursor("WzE3NjM2OTk5NDAsImNvbnZfYWJjIl0"); // { start: 1763699940, id: "conv_abc" }
 */
function decodeCursor(cursor: string): Key | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === "string") {
      return { start: value[0] as number, id: value[1] };
    }
  } catch {
    // Not base64url JSON: reported as invalid below.
  }
  return null;
}

/**
 * One page of the list: walks from the cursor, keeps visible entries that pass the filters, and
 * looks one past the page to tell whether there is more.
 *
 * @example
 * const page = listPage(index, query, Date.now(), (id) => agents.get(id) ?? null);
 */
export function listPage(
  index: ConversationIndex,
  query: ListQuery,
  nowMs: number,
  agentName: (agentId: string) => string | null,
): ConversationsPage {
  const conversations: ConversationsPage["conversations"] = [];
  let last: Key | undefined;
  let hasMore = false;
  for (const entry of index.from(query.cursor)) {
    const snapshot = entry.at(nowMs);
    if (!snapshot || !query.test(snapshot)) continue;
    if (conversations.length === query.pageSize) {
      hasMore = true;
      break;
    }
    conversations.push(snapshot.summary(agentName(entry.agentId), query.includeSummary));
    last = entry;
  }
  return { conversations, next_cursor: hasMore && last ? encodeCursor(last) : null, has_more: hasMore };
}
