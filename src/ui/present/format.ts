// Number and time formatting for narrow columns: every value fits in a
// few characters, so a column never needs wrapping.

const UNITS = ['', 'k', 'M', 'G', 'T', 'P'];

/** 0, 7, 42, 999, 1.2k, 12k, 340k, 1.5M ... (at most 4 characters). */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const neg = n < 0;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 999.5 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  let s: string;
  if (u === 0) s = v >= 10 || v === 0 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
  else s = v < 9.95 ? v.toFixed(1) : String(Math.round(v));
  return (neg ? '-' : '') + s + UNITS[u];
}

/** A rate: "-" when unknown (first refresh, counter reset), else compact. */
export function rate(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : compact(v);
}

/** Bytes in IEC-ish short form: 512B 1.2K 34M 1.1G. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let u = 0;
  while (v >= 1023.5 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(Math.round(v)) : v < 9.95 ? v.toFixed(1) : String(Math.round(v));
  return s + units[u];
}

/** Seconds as 5s, 2m05s, 3h10m, 2d4h. */
export function duration(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** host:port with IPv6 in brackets. */
export function hostPort(ip: string, port: number | null): string {
  const h = ip.includes(':') ? `[${ip}]` : ip;
  return port === null ? h : `${h}:${port}`;
}

export function onOff(v: boolean | null): string {
  return v === null ? '?' : v ? 'on' : 'off';
}

/** Direction of change between two values for the ▲/▼ markers; null when equal or unknown. */
export function direction(prev: number | null | undefined, cur: number | null | undefined): 'up' | 'down' | null {
  if (prev === null || prev === undefined || cur === null || cur === undefined) return null;
  // Rates jitter in the last digit; only a visible change counts.
  if (compact(prev) === compact(cur)) return null;
  return cur > prev ? 'up' : 'down';
}
