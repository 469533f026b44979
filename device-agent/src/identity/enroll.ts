import { EnrollResponse, parseMessage, type EnrollRequestBody } from '@edgefleet/contracts';
import { backoffDelay, sleep } from '../lib/backoff';
import { AgentConfigError, describeError } from '../lib/errors';
import { httpFetch } from '../lib/http-client';
import type { Logger } from '../lib/logger';

export const ENROLL_PATH = '/api/v1/enroll';
const ATTEMPTS = 6;
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface EnrollRequest extends EnrollRequestBody {
  apiUrl: string;
  /** PEM CA for an https:// control plane with a private CA (--ca-file, the same CA as the broker's). */
  ca?: string;
}

/**
 * Presents the enrollment token once over HTTP and returns the device's credential and trusted keys. A refusal
 * (4xx: unknown/used-up token, device taken, profile outside the token) stops the agent with the server's reason;
 * an unreachable or failing control plane is retried with backoff a few times first.
 */
export async function enroll(req: EnrollRequest, logger: Logger, retryBaseMs = 1000): Promise<EnrollResponse> {
  const { apiUrl, token, ca, ...device } = req;
  const url = new URL(ENROLL_PATH, apiUrl);
  for (let attempt = 1; ; attempt++) {
    let transient: string;
    try {
      const res = await httpFetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, ...device }), ca,
        timeoutMs: 15_000, maxBytes: MAX_RESPONSE_BYTES + 1,
      });
      const { body } = res;
      if (res.status >= 400 && res.status < 500) {
        throw new AgentConfigError([`enrollment at ${url.origin} refused (HTTP ${res.status}): ${reasonOf(body)}`]);
      }
      if (res.status < 200 || res.status > 299) transient = `HTTP ${res.status}: ${reasonOf(body)}`;
      else if (body.length > MAX_RESPONSE_BYTES) throw new AgentConfigError([`enrollment answer of ${body.length} B refused`]);
      else {
        const parsed = parseMessage(EnrollResponse, body);
        if (!parsed.ok) throw new AgentConfigError([`enrollment answer malformed: ${parsed.errors.slice(0, 5).join('; ')}`]);
        if (parsed.value.deviceId !== req.deviceId) throw new AgentConfigError([`enrollment answered for device ${parsed.value.deviceId}, not ${req.deviceId}`]);
        return parsed.value;
      }
    } catch (err) {
      if (err instanceof AgentConfigError) throw err;
      transient = describeError(err);
    }
    if (attempt >= ATTEMPTS) throw new Error(`enrollment at ${url.origin} failed ${ATTEMPTS} times; last: ${transient}`);
    const delay = backoffDelay(attempt, { baseMs: retryBaseMs, maxMs: 30_000 });
    logger.warn('enrollment failed; retrying', { error: transient, inMs: delay, attempt });
    await sleep(delay);
  }
}

function reasonOf(body: Buffer): string {
  const text = body.subarray(0, 2000).toString('utf8');
  try {
    const j = JSON.parse(text) as { message?: unknown; error?: unknown };
    return String(j.message ?? j.error ?? text);
  } catch {
    return text;
  }
}
