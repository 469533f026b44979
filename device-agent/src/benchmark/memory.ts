/**
 * Peak growth of the process' resident memory while a model is loaded and run: the larger of the sampled
 * RSS growth over the baseline and the kernel's maxRSS growth (which catches peaks between samples, but
 * only when they exceed every earlier peak of the process). Reported in MB.
 */
export class RssMeter {
  private readonly baseline = process.memoryUsage.rss();
  private readonly maxRssBeforeKb = process.resourceUsage().maxRSS;
  private peak = this.baseline;

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  peakMb(): number {
    this.sample();
    const sampled = (this.peak - this.baseline) / (1024 * 1024);
    const kernel = (process.resourceUsage().maxRSS - this.maxRssBeforeKb) / 1024;
    return Math.round(Math.max(0, sampled, kernel) * 100) / 100;
  }
}
