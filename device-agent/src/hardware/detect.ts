import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { HardwareProfile } from '@edgefleet/contracts';

/** Measured facts about the machine the agent actually runs on. */
export interface HostHardware {
  arch: HardwareProfile['arch'];
  cores: number;
  clockMhz?: number;
  ramMb: number;
  simd: string[];
}

const ARCH_MAP: Record<string, HardwareProfile['arch']> = { x64: 'x64', arm64: 'arm64', arm: 'arm', ia32: 'ia32', riscv64: 'riscv64' };

/**
 * Normalised SIMD names from /proc/cpuinfo `flags` (x86) or `Features` (ARM). Only the extensions that
 * matter for inference kernels are kept, so profiles stay comparable across machines.
 */
export function parseSimdFlags(cpuinfo: string): string[] {
  const line = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  if (!line) return [];
  const flags = new Set(line.split(':')[1]!.trim().split(/\s+/));
  const out: string[] = [];
  const add = (name: string, ...any: string[]) => {
    if (any.some((f) => flags.has(f)) && !out.includes(name)) out.push(name);
  };
  add('sse4.2', 'sse4_2');
  add('avx', 'avx');
  add('avx2', 'avx2');
  add('fma', 'fma');
  add('avx512', 'avx512f');
  add('vnni', 'avx512_vnni', 'avx_vnni');
  add('neon', 'asimd', 'neon');
  add('dotprod', 'asimddp');
  add('i8mm', 'i8mm');
  add('sve', 'sve');
  return out;
}

function parseClockMhz(cpuinfo: string): number | undefined {
  const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo);
  return m ? Math.round(Number(m[1])) : undefined;
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ''; // not Linux: SIMD flags and clock stay unknown, which the slowdown formula tolerates
  }
}

export function detectHost(cpuinfo: string = readCpuinfo()): HostHardware {
  const cpus = os.cpus();
  const speed = cpus[0]?.speed;
  return {
    arch: ARCH_MAP[os.arch()] ?? 'other',
    cores: Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length),
    // os.cpus().speed is 0 in some containers; /proc/cpuinfo still knows.
    clockMhz: speed && speed > 0 ? speed : parseClockMhz(cpuinfo),
    ramMb: Math.floor(os.totalmem() / (1024 * 1024)),
    simd: parseSimdFlags(cpuinfo),
  };
}
