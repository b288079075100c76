// Timings the end-to-end tests and benchmarks read from the window (nothing leaves the app).

export interface Metrics {
  /** Epoch ms when the webview started loading the page, and when our script started. */
  navigationAt: number;
  scriptAt: number;
  /** Epoch ms when the connection list first rendered: the window is usable. */
  readyAt: number | null;
  /** Run pressed → first row painted, and → Done, for the latest query. */
  lastRun: { firstRowMs: number | null; doneMs: number | null; rows: number } | null;
  /** Click → children painted, per tree expansion, latest last. */
  treeExpands: { path: string[]; count: number; ms: number }[];
  /** Startup steps, ms after navigation start. */
  marks: Record<string, number>;
}

declare global {
  interface Window {
    __dbhive?: Metrics;
  }
}

export const metrics: Metrics = {
  navigationAt: Math.round(performance.timeOrigin),
  scriptAt: Date.now(),
  readyAt: null,
  lastRun: null,
  treeExpands: [],
  marks: {},
};

export function mark(name: string): void {
  metrics.marks[name] ??= Math.round(performance.now());
}
window.__dbhive = metrics;
