// What the child processes of figures 5 and 10 report: the time `work` takes and the peak RSS
// growth while it runs (sampled every 2 ms from a baseline taken after a collection where exposed).

/** @param {() => Promise<unknown>} work @returns {Promise<{ ms: number, rssGrowthMB: number }>} */
export async function measure(work) {
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  const start = process.hrtime.bigint();
  await work();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms, rssGrowthMB: (peak - baseline) / 2 ** 20 };
}
