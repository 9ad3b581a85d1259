/**
 * Keeping the API key out of everything an error holds: text, parsed bodies, URLs, and the errors
 * of a custom fetch (kept only as a sanitized copy). Used by every layer that builds an error.
 */

/** The forms a secret can take in text it leaked into: as it is, and percent-encoded. */
function forms(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return encoded === secret ? [secret] : [secret, encoded];
}

/** `text` with every occurrence of `secret` replaced by `[redacted]`. */
export function redactText(text: string, secret: string): string {
  for (const form of forms(secret)) if (text.includes(form)) text = text.split(form).join("[redacted]");
  return text;
}

/**
 * A value to keep in an error (a parsed body): itself when it holds no trace of `secret`,
 * otherwise a copy with the secret redacted in every string (through JSON; what JSON cannot
 * carry is dropped). A value that cannot be serialized at all is replaced.
 */
export function redactValue<T>(value: T, secret: string): T {
  if (typeof value === "string") return redactText(value, secret) as T;
  if (value === null || typeof value !== "object") return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return "[unserializable]" as T;
  }
  if (json === undefined || !forms(secret).some((form) => json.includes(form))) return value;
  return JSON.parse(redactText(json, secret)) as T;
}

/** What a foreign error becomes when it is kept as a cause: only these fields, each redacted. */
export interface SanitizedCause extends Error {
  /** The foreign error's `code`, as a string, when it had one (`ECONNRESET`, `UND_ERR_SOCKET`, …). */
  code?: string;
  /** The sanitized members of an `AggregateError`. */
  errors?: SanitizedCause[];
}

const MAX_CAUSE_DEPTH = 4;

/**
 * A new Error standing for `value` (an error a custom fetch or the runtime threw): its name,
 * code, message and stack, redacted, and its own cause and `errors` sanitized the same way.
 * Nothing else of the foreign object is kept: not its request, its config, its headers.
 */
export function sanitizeCause(value: unknown, secret: string, depth = 0): SanitizedCause {
  const foreign = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const text = (field: unknown, fallback = ""): string =>
    redactText(
      typeof field === "string" ? field : field === undefined || field === null ? fallback : safeString(field),
      secret,
    );
  const message = typeof value === "object" && value !== null ? text(foreign.message) : text(value);
  const cause: SanitizedCause = new Error(message);
  cause.name = text(foreign.name, "Error");
  cause.stack = typeof foreign.stack === "string" ? text(foreign.stack) : `${cause.name}: ${message}`;
  if (foreign.code !== undefined && foreign.code !== null) cause.code = text(foreign.code);
  if (depth < MAX_CAUSE_DEPTH) {
    if (foreign.cause !== undefined) cause.cause = sanitizeCause(foreign.cause, secret, depth + 1);
    if (Array.isArray(foreign.errors)) {
      cause.errors = foreign.errors.slice(0, 10).map((e: unknown) => sanitizeCause(e, secret, depth + 1));
    }
  }
  return cause;
}

export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "[unprintable]";
  }
}

/** A URL's path for an error, redacted; `""` for what is not a URL. */
export function redactedPath(url: string, secret: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = "";
  }
  return redactText(path, secret);
}
