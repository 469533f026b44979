import { statfs } from 'node:fs/promises';
import type { Heartbeat } from '@edgefleet/contracts';

/** Measures the agent's health: CPU since the previous call (fraction of one core), RSS, free disk, uptime. */
export class HeartbeatMeter {
  private lastCpu = processSample().cpu;
  private disk?: { at: number; diskFreeMb: number | undefined };
  private lastAt = process.hrtime.bigint();
  private readonly startedAt = Date.now();

  constructor(private readonly stateDir: string, private readonly agentVersion: string) {}

  async read(activeSha256: string | undefined): Promise<Heartbeat> {
    const now = processSample();
    const at = process.hrtime.bigint();
    const wallUs = Number(at - this.lastAt) / 1000;
    const cpuUs = now.cpu.user + now.cpu.system - (this.lastCpu.user + this.lastCpu.system);
    this.lastCpu = now.cpu;
    this.lastAt = at;
    if (this.disk === undefined || Date.now() - this.disk.at >= SAMPLE_MS) {
      let diskFreeMb: number | undefined;
      try {
        const s = await statfs(this.stateDir);
        diskFreeMb = Math.round((s.bavail * s.bsize) / 1e6);
      } catch {
        diskFreeMb = undefined; // a filesystem without statfs: reported as unknown
      }
      this.disk = { at: Date.now(), diskFreeMb };
    }
    const { diskFreeMb } = this.disk;
    return {
      at: new Date().toISOString(),
      cpu: wallUs > 0 ? Math.max(0, Math.round((cpuUs / wallUs) * 1000) / 1000) : 0,
      rssMb: Math.round(now.rss / 1e5) / 10,
      ...(diskFreeMb !== undefined && { diskFreeMb }),
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      agentVersion: this.agentVersion,
      ...(activeSha256 && { activeSha256 }),
    };
  }
}

/**
 * Process-wide readings (CPU time, RSS) are taken at most once a second and shared by the meters of this process, and
 * a meter's free-disk reading is at most that old: a heartbeat is a minute's summary, and the fleet simulator's
 * thousand agents (one process, one disk) read the same numbers — reading them a thousand times cost seconds of CPU.
 */
const SAMPLE_MS = 1000;
let sample: { at: number; cpu: NodeJS.CpuUsage; rss: number } | undefined;

function processSample(): { cpu: NodeJS.CpuUsage; rss: number } {
  const t = Date.now();
  if (!sample || t - sample.at >= SAMPLE_MS) sample = { at: t, cpu: process.cpuUsage(), rss: process.memoryUsage.rss() };
  return sample;
}
