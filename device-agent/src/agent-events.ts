import type { EventEmitter } from 'node:events';
import type { ProgressMessage, ReportMessage } from '@edgefleet/contracts';
import type { Step } from './planner/steps';
import type { RefusalCode } from './trust/desired-check';

/** What a running agent tells whoever embeds it (benches, tests, the demo) besides MQTT. */
export interface AgentEvents {
  report: [ReportMessage];
  progress: [Omit<ProgressMessage, 'v'>];
  plan: [Step[]];
  /** A desired payload failed validation and was ignored. */
  invalidDesired: [string[]];
  /** A valid desired state was refused (not signed by a trusted key, another device's, expired, older, too large). */
  refusedDesired: [RefusalCode, string];
  connected: [];
  disconnected: [];
}

/** Resolves with the next report matching `pred`; rejects after `timeoutMs`. */
export function nextReport(events: EventEmitter<AgentEvents>, pred: (r: ReportMessage) => boolean = () => true, timeoutMs = 60_000): Promise<ReportMessage> {
  return new Promise<ReportMessage>((resolve, reject) => {
    const t = setTimeout(() => {
      events.off('report', on);
      reject(new Error(`no matching report within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (r: ReportMessage) => {
      if (!pred(r)) return;
      clearTimeout(t);
      events.off('report', on);
      resolve(r);
    };
    events.on('report', on);
  });
}
