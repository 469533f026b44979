import { statfs } from 'node:fs/promises';
import type { Heartbeat } from '@edgefleet/contracts';

/** Measures the agent's health: CPU since the previous call (fraction of one core), RSS, free disk, uptime. */
export class HeartbeatMeter {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private readonly startedAt = Date.now();

  constructor(private readonly stateDir: string, private readonly agentVersion: string) {}

  async read(activeSha256: string | undefined): Promise<Heartbeat> {
    const cpu = process.cpuUsage(this.lastCpu);
    const at = process.hrtime.bigint();
    const wallUs = Number(at - this.lastAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = at;
    let diskFreeMb: number | undefined;
    try {
      const s = await statfs(this.stateDir);
      diskFreeMb = Math.round((s.bavail * s.bsize) / 1e6);
    } catch {
      diskFreeMb = undefined; // a filesystem without statfs: reported as unknown
    }
    return {
      at: new Date().toISOString(),
      cpu: wallUs > 0 ? Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 1000 : 0,
      rssMb: Math.round(process.memoryUsage.rss() / 1e5) / 10,
      ...(diskFreeMb !== undefined && { diskFreeMb }),
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      agentVersion: this.agentVersion,
      ...(activeSha256 && { activeSha256 }),
    };
  }
}
