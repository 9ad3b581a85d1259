import { describe, expect, it } from "vitest";
import { ConvaiAPIError, ConvaiError, ConvaiPaginationError } from "../../src/core/errors.ts";

const facts = { status: 404, body: null, method: "GET", path: "/v1/x" };

describe("ConvaiError.is", () => {
  it("knows this copy's errors by instanceof, and their subclasses by brand", () => {
    const error = new ConvaiAPIError(facts);
    expect(ConvaiAPIError.is(error)).toBe(true);
    expect(ConvaiError.is(error)).toBe(true);
    expect(ConvaiPaginationError.is(error)).toBe(false);
  });

  it("knows an error of another copy of the package: same brand, and the package's mark", () => {
    // What the other build (ESM beside CJS) makes: its own classes, marked with the shared symbol.
    class OtherBase extends Error {
      static readonly brand: string = "ConvaiError";
      constructor() {
        super("x");
        Object.defineProperty(this, Symbol.for("elevenlabs-convai/error"), { value: true });
      }
    }
    class OtherAPIError extends OtherBase {
      static override readonly brand: string = "ConvaiAPIError";
    }
    expect(ConvaiAPIError.is(new OtherAPIError())).toBe(true);
    expect(ConvaiError.is(new OtherAPIError())).toBe(true);
  });

  it("refuses a class that only borrows the brand's name, without the package's mark", () => {
    class Impostor extends Error {
      static readonly brand = "ConvaiAPIError";
    }
    expect(ConvaiAPIError.is(new Impostor())).toBe(false);
    expect(ConvaiError.is({})).toBe(false);
    expect(ConvaiError.is(null)).toBe(false);
  });

  it("marks an error without making the mark an enumerable property", () => {
    const error = new ConvaiAPIError(facts);
    expect(Object.keys(error)).not.toContain(Symbol.for("elevenlabs-convai/error"));
    expect(Object.getOwnPropertySymbols(error)).toEqual([Symbol.for("elevenlabs-convai/error")]);
    expect(Object.getOwnPropertyDescriptor(error, Symbol.for("elevenlabs-convai/error"))!.enumerable).toBe(false);
  });
});
