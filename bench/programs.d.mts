interface Where {
  baseUrl: string;
  apiKey: string;
}
type Variants<T> = Record<"floor" | "ours" | "sdk", () => Promise<T>>;
export function perCall(where: Where, id: string, calls: number): Variants<void>;
export function large(where: Where, id: string, reps: number): Variants<Record<string, number>>;
export function pagination(where: Where): Variants<number>;
