/** Small values and helpers more than one layer uses, kept once. */

/** The empty list a loop falls back to (`for (const x of list ?? NONE)`), shared so none is allocated. */
export const NONE: readonly never[] = [];

/** The function that does nothing: an unsubscribe with nothing to undo. */
export function noop(): void {}

/**
 * The bytes of base64 or base64url text, padded or not; whitespace is ignored. `atob`
 * runs everywhere fetch does (no Node Buffer). Throws (a DOMException) when the text is not base64.
 */
export function decodeBase64(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s/g, "");
  // Trailing padding is dropped: atob takes none, or exactly the right amount.
  const binary = atob(base64.replace(/={1,2}$/, ""));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
