export const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);
export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
export const bytes = (v: number | null | undefined): string => {
  if (v === null || v === undefined) return '—';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / 1024 / 1024).toFixed(1)} MiB`;
};
export const num = (v: unknown, digits = 4): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : '—');
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
export const ago = (iso: string | null | undefined): string => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
};
/** Profile classes are hashes: the first 8 characters tell them apart on a page. */
export const shortClass = (c: string): string => c.slice(0, 8);
export const describeProfile = (p: { name?: string; arch: string; cores: number; clockMhz?: number; ramMb: number }): string =>
  `${p.name ? `${p.name}: ` : ''}${p.arch}, ${p.cores} cores${p.clockMhz ? ` @ ${p.clockMhz} MHz` : ''}, ${p.ramMb} MB`;
