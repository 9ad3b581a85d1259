interface Where {
  baseUrl: string;
  apiKey: string;
}
type Variants<T> = Record<"floor" | "ours" | "sdk", () => Promise<T>>;
export function perCall(where: Where, id: string): Variants<void> & { openapiFetch: () => Promise<void> };
export function large(where: Where, id: string): Variants<Record<string, number>>;
export function paginationByPage(where: Where, total: number): Variants<void>;
export function webhooks(
  body: string,
  header: string,
  secret: string,
  count: number,
  now: number,
): Promise<Record<"floor" | "ours" | "oursWebCrypto", () => Promise<unknown>>>;
