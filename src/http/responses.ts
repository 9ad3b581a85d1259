/**
 * The errors built from an HTTP response: its status, request id, method and path, redacted.
 */
import { ConvaiAPIError, ConvaiValidationError } from "../core/errors.ts";
import { redactText, redactValue, redactedPath } from "../core/redact.ts";

const REQUEST_ID_HEADERS = ["request-id", "x-request-id", "xi-request-id"];

/** Builds the error for a non-2xx response whose body has been parsed; everything it keeps is redacted. */
export function errorFromResponse(
  response: Response,
  body: unknown,
  method: string,
  operation: string | undefined,
  secret: string,
): ConvaiAPIError {
  const init = { ...responseFacts(response, method, operation, secret), body: redactValue(body, secret) };
  return response.status === 422 ? new ConvaiValidationError(init) : new ConvaiAPIError(init);
}

/** What an error says about a response, redacted: its status, request id, method, path. */
export function responseFacts(response: Response, method: string, operation: string | undefined, secret: string) {
  const requestId = requestIdOf(response.headers);
  return {
    status: response.status,
    method,
    path: redactedPath(response.url, secret),
    requestId: requestId === undefined ? undefined : redactText(requestId, secret).slice(0, 200),
    operation,
  };
}

function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}
