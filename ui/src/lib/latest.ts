// Keep only the newest answer of overlapping async calls (instant search: a slow answer to
// "z" must not overwrite the answer to "zsf").
export function latestOnly<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  let seq = 0;
  return async (...args: A): Promise<{ fresh: boolean; value: R }> => {
    const mine = ++seq;
    const value = await fn(...args);
    return { fresh: mine === seq, value };
  };
}
